package dev.courier.mqtt;

import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One received message. MQTT has no requeue: {@code reject(true)} republishes to the group's direct
 * topic and {@code redeliverLater} to its retry topic, and both acknowledge the original only after
 * the broker confirmed the copy. A delivery is stale once the connection it came on is gone (the
 * transport closed, the session was handed over, or a reconnect replaced it): settling it then sends
 * nothing and fails, and the broker delivers the message again. Internal.
 */
final class MqttDelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
    private static final int OPEN = 0;
    private static final int SETTLING = 1;
    private static final int SETTLED = 2;

    private final MqttTransport transport;
    private final Subscription sub;
    private final Connection.Received received;
    private final Connection origin;
    private final Map<String, String> headers;
    private final boolean redelivered;
    private final AtomicInteger state = new AtomicInteger(OPEN);

    MqttDelivery(MqttTransport transport, Subscription sub, Connection origin, Connection.Received received,
                 Map<String, String> headers, boolean redelivered) {
        this.transport = transport;
        this.sub = sub;
        this.origin = origin;
        this.received = received;
        this.headers = Map.copyOf(headers);
        this.redelivered = redelivered;
    }

    Connection origin() {
        return origin;
    }

    @Override
    public Address address() {
        return sub.address;
    }

    @Override
    public String group() {
        return sub.group;
    }

    @Override
    public Map<String, String> headers() {
        return headers;
    }

    @Override
    public byte[] body() {
        return received.message().body();
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    private boolean stale() {
        return origin.isClosed() || origin.epoch() != received.epoch();
    }

    private CompletableFuture<Void> staleFailure(String what) {
        return CompletableFuture.failedFuture(new CourierException(what + " of a stale delivery of " + sub.address
                + " (id " + headers.get(dev.courier.spi.Headers.ID) + "): its connection is gone ("
                + (origin.isClosed() ? "closed" : "replaced by a reconnect")
                + "), the broker has taken the message back and delivers it again"));
    }

    /** Sends the PUBACK, or fails when the delivery went stale meanwhile. */
    private CompletableFuture<Void> acknowledge(String what) {
        if (stale()) {
            return staleFailure(what);
        }
        try {
            received.message().ack().run();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new CourierException(what + " failed: " + e, e));
        }
        return CompletableFuture.completedFuture(null);
    }

    /** Claims the delivery; frees its prefetch slot once settled. */
    private boolean claim() {
        return state.compareAndSet(OPEN, SETTLING);
    }

    private void done() {
        if (state.getAndSet(SETTLED) != SETTLED) {
            if (!stale()) {
                sub.settledId(headers.get(dev.courier.spi.Headers.ID));
            }
            sub.settled();
        }
    }

    @Override
    public CompletableFuture<Void> ack() {
        if (!claim()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = acknowledge("ack");
        done();
        return f;
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        if (!claim()) {
            return CompletableFuture.completedFuture(null);
        }
        if (stale()) {
            done();
            return staleFailure("reject");
        }
        CompletableFuture<Void> f = requeue ? again(headers) : acknowledge("reject");
        return f.whenComplete((x, e) -> done());
    }

    private CompletableFuture<Void> again(Map<String, String> h) {
        return transport.republish(sub, h, body(), null).thenCompose(x -> acknowledge("reject(true)"));
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!claim()) {
            return CompletableFuture.completedFuture(null);
        }
        if (stale()) {
            done();
            return staleFailure("redeliverLater");
        }
        CompletableFuture<Void> f = transport.republish(sub, newHeaders, body(), delay)
                .exceptionallyCompose(e -> transport.republish(sub, newHeaders, body(), null))
                .thenCompose(x -> acknowledge("redeliverLater"));
        return f.whenComplete((x, e) -> {
            if (e != null && !stale()) {
                state.set(OPEN); // nothing was settled: the claim goes back, the caller may settle again
            } else {
                done();
            }
        });
    }

    /** Gives the message back to its group now (republish, then PUBACK), whatever its subscription's state. */
    void giveBack() {
        if (claim()) {
            again(headers).whenComplete((x, e) -> done());
        }
    }

    /** Acknowledges without effect (a reply nobody waits for). */
    void drop() {
        if (claim()) {
            acknowledge("drop");
            done();
        }
    }
}
