package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilderBase;

/** Applies {@link MqttConfig#clientCustomizer()} to a client builder, then puts back what Courier relies on. Internal. */
final class Customizers {
    private Customizers() {
    }

    static <B extends MqttClientBuilderBase<B>> B apply(MqttConfig cfg, B builder, String clientId) {
        if (cfg.clientCustomizer() == null) {
            return builder;
        }
        cfg.clientCustomizer().accept(builder);
        return builder.identifier(clientId).executorConfig(Threads.EXECUTORS).automaticReconnect(null);
    }
}
