package dev.courier.mqtt;

import dev.courier.spi.support.TransportUri.HostPort;

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

    /** @return the HiveMQ client's configuration (what Courier and the hook built) */
    com.hivemq.client.mqtt.MqttClientConfig clientConfig();

    /**
     * Builds the Wire of one broker address for the configured protocol version; not connected.
     * {@code onDisconnected} gets the cause when the connection drops or a connect fails.
     */
    static Wire open(MqttConfig cfg, HostPort address, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
                     Consumer<Throwable> onDisconnected) {
        return cfg.version() == MqttConfig.Version.V5
                ? new Wire5(cfg, address, clientId, onMessage, callbacks, onDisconnected)
                : new Wire3(cfg, address, clientId, onMessage, callbacks, onDisconnected);
    }

    /** A connected Wire and what its CONNACK said. */
    record Dialed(Wire wire, Session session) {
    }

    /**
     * Connects {@code clientId} to the first broker of the address list that accepts, trying them in
     * order, each attempt bounded by the connect timeout. Blocks the caller.
     *
     * @throws dev.courier.ConfigurationException when a broker refused the credentials (retrying cannot help)
     * @throws Exception the last broker's failure when none accepted
     */
    static Dialed dial(MqttConfig cfg, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
                       Consumer<Wire> onDisconnected, boolean cleanStart, Duration expiry, int receiveMaximum)
            throws Exception {
        return dial(cfg, clientId, onMessage, callbacks, onDisconnected, cleanStart, expiry, receiveMaximum, Long.MAX_VALUE);
    }

    /** As {@link #dial}, each attempt also ending at {@code deadlineNanos} ({@link System#nanoTime()}; start's timeout). */
    static Dialed dial(MqttConfig cfg, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
                       Consumer<Wire> onDisconnected, boolean cleanStart, Duration expiry, int receiveMaximum,
                       long deadlineNanos) throws Exception {
        Exception last = null;
        for (HostPort a : cfg.addresses()) {
            Wire[] self = new Wire[1];
            Wire w;
            try {
                w = open(cfg, a, clientId, onMessage, callbacks, cause -> {
                    if (self[0] != null) {
                        onDisconnected.accept(self[0]);
                    }
                });
            } catch (RuntimeException e) {
                throw new dev.courier.ConfigurationException("could not build the MQTT client for " + a
                        + " (the client customizer or the TLS settings failed): " + e);
            }
            try {
                Session s = w.connect(cleanStart, expiry, receiveMaximum)
                        .get(Math.max(1, Math.min(cfg.connectTimeout().toNanos(), deadlineNanos - System.nanoTime())),
                                java.util.concurrent.TimeUnit.NANOSECONDS);
                self[0] = w;
                if (!w.isConnected()) {
                    throw new java.io.IOException("the connection to " + a + " dropped right after CONNACK");
                }
                return new Dialed(w, s);
            } catch (java.util.concurrent.ExecutionException e) {
                last = Refusals.classify(a, e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                last = new java.util.concurrent.TimeoutException("no CONNACK from " + a + " within " + cfg.connectTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                w.disconnect(false);
                throw e;
            }
            w.disconnect(false);
            if (last instanceof dev.courier.ConfigurationException) {
                throw last;
            }
        }
        throw last;
    }
}
