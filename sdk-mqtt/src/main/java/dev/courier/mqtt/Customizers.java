package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilderBase;
import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.MqttClientSslConfigBuilder;
import dev.courier.spi.support.TransportUri.HostPort;

/**
 * What every HiveMQ client builder gets, for either protocol version: the broker address, Courier's
 * threads, TLS from the configuration (custom trust and key managers for private CAs and mTLS), then
 * the user's {@link MqttConfig#clientCustomizer()} hook, after which what Courier relies on is put
 * back (identifier, executors, automatic reconnect off). Internal.
 */
final class Customizers {
    private Customizers() {
    }

    /** Courier's settings for a client of {@code address}: before the protocol's own (auth). */
    static <B extends MqttClientBuilderBase<B>> B base(MqttConfig cfg, B builder, HostPort address, String clientId) {
        B b = builder.identifier(clientId).serverHost(address.host()).serverPort(address.port())
                .executorConfig(Threads.EXECUTORS);
        MqttClientSslConfig ssl = ssl(cfg);
        return ssl == null ? b : b.sslConfig(ssl);
    }

    /** The TLS settings of {@code cfg}, or null without TLS. */
    static MqttClientSslConfig ssl(MqttConfig cfg) {
        if (!cfg.tls()) {
            return null;
        }
        MqttClientSslConfigBuilder s = MqttClientSslConfig.builder();
        if (cfg.trustManagerFactory() != null) {
            s = s.trustManagerFactory(cfg.trustManagerFactory());
        }
        if (cfg.keyManagerFactory() != null) {
            s = s.keyManagerFactory(cfg.keyManagerFactory());
        }
        if (cfg.hostnameVerifier() != null) {
            s = s.hostnameVerifier(cfg.hostnameVerifier());
        }
        return s.build();
    }

    /** Runs the user's hook, then puts back what Courier relies on. */
    static <B extends MqttClientBuilderBase<B>> B apply(MqttConfig cfg, B builder, String clientId) {
        if (cfg.clientCustomizer() == null) {
            return builder;
        }
        cfg.clientCustomizer().accept(builder);
        return builder.identifier(clientId).executorConfig(Threads.EXECUTORS).automaticReconnect(null);
    }
}
