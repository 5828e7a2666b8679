package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt3.Mqtt3ClientBuilder;
import com.hivemq.client.mqtt.mqtt3.message.subscribe.suback.Mqtt3SubAckReturnCode;

import dev.courier.spi.support.TransportUri.HostPort;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * MQTT 3.1.1: no properties, so every message is a structured CloudEvent ({@code application/cloudevents+json})
 * carrying all headers. Session expiry does not exist: sessions live until ended (or the broker's
 * {@code persistent_client_expiration}). No reason codes: a publish nobody receives still succeeds. Internal.
 */
final class Wire3 implements Wire {
    private final Mqtt3AsyncClient client;
    private final MqttConfig cfg;
    private final HostPort address;
    private final String clientId;
    private final Consumer<Incoming> onMessage;
    private final Executor callbacks;

    Wire3(MqttConfig cfg, HostPort address, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
          Consumer<Throwable> onDisconnected) {
        this.cfg = cfg;
        this.address = address;
        this.clientId = clientId;
        this.onMessage = onMessage;
        this.callbacks = callbacks;
        Mqtt3ClientBuilder b = Customizers.base(cfg, Mqtt3Client.builder(), address, clientId)
                .addDisconnectedListener(ctx -> onDisconnected.accept(ctx.getCause()));
        if (cfg.username() != null) {
            b = b.simpleAuth().username(cfg.username())
                    .password(cfg.password() == null ? new byte[0] : cfg.password().getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth();
        }
        this.client = Customizers.apply(cfg, b, clientId).buildAsync();
        java.util.function.Consumer<com.hivemq.client.mqtt.mqtt3.message.publish.Mqtt3Publish> cb = p -> {
            byte[] raw = p.getPayloadAsBytes();
            StructuredJson.Decoded d = StructuredJson.decode(raw);
            onMessage.accept(new Incoming(p.getTopic().toString(), d.headers(), d.body(), raw, p::acknowledge,
                    p.isRetain()));
        };
        if (callbacks == null) {
            client.publishes(MqttGlobalPublishFilter.ALL, cb, true);
        } else {
            client.publishes(MqttGlobalPublishFilter.ALL, cb, callbacks, true);
        }
    }

    @Override
    public CompletableFuture<Session> connect(boolean cleanStart, Duration expiry, int receiveMaximum) {
        return client.connectWith().cleanSession(cleanStart).keepAlive(30).send()
                .thenApply(ack -> new Session(ack.isSessionPresent(), Integer.MAX_VALUE, 65_535));
    }

    @Override
    public CompletableFuture<Void> subscribe(String filter, int qos) {
        return client.subscribeWith().topicFilter(filter).qos(Wire5.qos(qos)).send().thenAccept(ack -> {
            for (Mqtt3SubAckReturnCode rc : ack.getReturnCodes()) {
                if (rc.isError()) {
                    throw new dev.courier.CourierException("broker refused the subscription " + filter + ": " + rc);
                }
            }
        });
    }

    @Override
    public CompletableFuture<Void> unsubscribe(String filter) {
        return client.unsubscribeWith().topicFilter(filter).send();
    }

    @Override
    public CompletableFuture<Outcome> publish(String topic, Map<String, String> headers, byte[] body, int qos,
                                              String responseTopic, byte[] correlationData) {
        return publishRaw(topic, StructuredJson.encode(headers, body), qos, false);
    }

    @Override
    public CompletableFuture<Outcome> publishRaw(String topic, byte[] payload, int qos, boolean retain) {
        return client.publishWith().topic(topic).qos(Wire5.qos(qos)).retain(retain).payload(payload).send()
                .thenApply(p -> Outcome.DELIVERED);
    }

    @Override
    public CompletableFuture<Void> disconnect(boolean endSession) {
        CompletableFuture<Void> d = client.getState().isConnectedOrReconnect() ? client.disconnect()
                : CompletableFuture.completedFuture(null);
        if (!endSession) {
            return d;
        }
        // 3.1.1 ends a session only by connecting with clean session: do that with a throwaway client.
        return d.handle((x, e) -> null).thenCompose(x -> {
            Mqtt3ClientBuilder b = Customizers.base(cfg, Mqtt3Client.builder(), address, clientId);
            if (cfg.username() != null) {
                b = b.simpleAuth().username(cfg.username())
                        .password(cfg.password() == null ? new byte[0] : cfg.password().getBytes(StandardCharsets.UTF_8))
                        .applySimpleAuth();
            }
            Mqtt3AsyncClient c = Customizers.apply(cfg, b, clientId).buildAsync();
            return c.connectWith().cleanSession(true).send().thenCompose(a -> c.disconnect());
        });
    }

    @Override
    public com.hivemq.client.mqtt.MqttClientConfig clientConfig() {
        return client.getConfig();
    }

    @Override
    public boolean isConnected() {
        return client.getState().isConnected();
    }
}
