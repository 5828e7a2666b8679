package dev.courier.mqtt;

import dev.courier.CourierException;
import dev.courier.spi.Headers;
import dev.courier.spi.support.SettleOnceDelivery;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One received message, on the shared settle-once base. MQTT has no requeue: {@code reject(true)}
 * republishes to the group's direct topic and {@code redeliverLater} to its retry topic, and both
 * acknowledge the original only after the broker confirmed the copy. A delivery is stale once the
 * connection it came on is gone (the transport closed, the session was handed over, or a reconnect
 * replaced it): settling it sends nothing and fails with {@link dev.courier.spi.StaleDeliveryException},
 * and the broker delivers the message again. Internal.
 */
final class MqttDelivery extends SettleOnceDelivery {
    private final MqttTransport transport;
    private final Subscription sub;
    private final Connection.Received received;
    private final Connection origin;

    MqttDelivery(MqttTransport transport, Subscription sub, Connection origin, Connection.Received received,
                 Map<String, String> headers, boolean redelivered) {
        // the decoded headers are this message's own (the wire builds a new map per message, nobody
        // changes it afterwards): a read-only view instead of a second copy per message
        super(sub.address, sub.group, Collections.unmodifiableMap(headers), received.message().body(), redelivered);
        this.transport = transport;
        this.sub = sub;
        this.origin = origin;
        this.received = received;
    }

    Connection origin() {
        return origin;
    }

    @Override
    protected boolean isStale() {
        return origin.isClosed() || origin.epoch() != received.epoch();
    }

    @Override
    protected String staleReason() {
        return origin.isClosed() ? "its MQTT session was closed or handed over"
                : "its MQTT connection was replaced by a reconnect";
    }

    /** Sends the PUBACK, or fails as stale when the connection went meanwhile. */
    private CompletableFuture<Void> puback(String what) {
        if (isStale()) {
            return stale(what);
        }
        try {
            received.message().ack().run();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new CourierException(what + " of " + headers().get(Headers.ID)
                    + " failed: " + e, e));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletableFuture<Void> sendAck() {
        return puback("ack");
    }

    @Override
    protected CompletableFuture<Void> sendReject(boolean requeue) {
        if (!requeue) {
            return puback("reject");
        }
        return transport.publisher().republish(sub, headers(), body(), null).thenCompose(x -> puback("reject(true)"));
    }

    @Override
    protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay) {
        Publisher p = transport.publisher();
        return p.republish(sub, headers, body(), delay)
                .exceptionallyCompose(e -> p.republish(sub, headers, body(), null))
                .thenCompose(x -> puback("redeliverLater"));
    }

    @Override
    protected void settled() {
        if (!isStale()) {
            sub.settledId(headers().get(Headers.ID));
        }
        sub.settled();
    }

    /** Gives the message back to its group now (republish, then PUBACK), whatever its subscription's state. */
    void returnToGroup() {
        reject(true);
    }

    /** Acknowledges without effect (a reply nobody waits for). */
    void drop() {
        ack();
    }
}
