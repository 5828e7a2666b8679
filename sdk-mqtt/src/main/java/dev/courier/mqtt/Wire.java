package dev.courier.mqtt;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * One MQTT connection's worth of a HiveMQ client, with the CloudEvents binding of its protocol
 * version. A Wire is used for exactly one connection: reconnecting builds a new one (the HiveMQ
 * client has had bugs redelivering to a reused client object with manual acknowledgement).
 * Its message callback is registered before it connects, so no session message is lost. Internal.
 */
interface Wire {

    /** Header key for a retry's due time (epoch millis); not a CloudEvents name, stripped on receipt. */
    String DUE = "courier-due";

    /**
     * A received message, decoded; {@code ack} sends the PUBACK (in arrival order, as the client does);
     * {@code retain}: the broker sent a retained message because of a (new) subscription.
     */
    record Incoming(String topic, Map<String, String> headers, byte[] body, byte[] raw, Runnable ack, boolean retain) {
    }

    /** What the CONNACK said. */
    record Session(boolean present, int maximumPacketSize, int receiveMaximum) {
    }

    /** How a publish ended when the broker accepted it. */
    enum Outcome { DELIVERED, NO_SUBSCRIBERS }

    /** Connects; {@code expiry} null means the session never expires. */
    CompletableFuture<Session> connect(boolean cleanStart, Duration expiry, int receiveMaximum);

    CompletableFuture<Void> subscribe(String filter, int qos);

    CompletableFuture<Void> unsubscribe(String filter);

    /**
     * Publishes a CloudEvent: MQTT 5 binary mode, 3.1.1 structured JSON. Completes on PUBACK/PUBCOMP;
     * fails on an error reason code or a lost connection.
     */
    CompletableFuture<Outcome> publish(String topic, Map<String, String> headers, byte[] body, int qos,
                                       String responseTopic, byte[] correlationData);

    /** Publishes bytes as they are (Courier's own records), optionally retained. */
    CompletableFuture<Outcome> publishRaw(String topic, byte[] payload, int qos, boolean retain);

    /** Disconnects; {@code endSession} makes the broker drop the session. */
    CompletableFuture<Void> disconnect(boolean endSession);

    boolean isConnected();

    /** Builds the Wire for the configured protocol version. */
    static Wire open(MqttConfig cfg, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
                     Runnable onDisconnected) {
        return cfg.version() == MqttConfig.Version.V5
                ? new Wire5(cfg, clientId, onMessage, callbacks, onDisconnected)
                : new Wire3(cfg, clientId, onMessage, callbacks, onDisconnected);
    }
}
