package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A message from a consumer channel, settled once: the first of ack, reject or redeliverLater
 * claims it atomically and every later call does nothing (a completed future); a redeliverLater in
 * progress holds the claim and gives it back only if it fails. Settling on a channel that has closed
 * since (connection lost, transport closed) sends nothing and fails the future as stale rather than
 * sending a stale delivery tag: the broker has already taken the message back and delivers it again,
 * and deduplication absorbs it. Closing only the subscription keeps its channel open, so its
 * outstanding deliveries can still be settled. Internal.
 */
final class AmqpDelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
    private static final int OPEN = 0;
    private static final int REDELIVERING = 1;
    private static final int SETTLED = 2;

    private final AmqpSubscription sub;
    private final Channel channel;
    private final long tag;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean redelivered;
    private final AtomicInteger state = new AtomicInteger(OPEN);

    AmqpDelivery(AmqpSubscription sub, Channel channel, long tag, Map<String, String> headers, byte[] body,
                 boolean redelivered) {
        this.sub = sub;
        this.channel = channel;
        this.tag = tag;
        this.headers = java.util.Collections.unmodifiableMap(headers); // a fresh map from Wire.headers
        this.body = body;
        this.redelivered = redelivered;
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
        return body;
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    @Override
    public CompletableFuture<Void> ack() {
        if (!state.compareAndSet(OPEN, SETTLED)) {
            return CompletableFuture.completedFuture(null);
        }
        return send("ack", () -> channel.basicAck(tag, false));
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        if (!state.compareAndSet(OPEN, SETTLED)) {
            return CompletableFuture.completedFuture(null);
        }
        return send("reject", () -> channel.basicReject(tag, requeue));
    }

    /**
     * Publishes the message with the new headers to the TTL queue of this delay step, which
     * dead-letters it back to this subscription's own queue; acks this delivery once RabbitMQ
     * confirmed that. The claim is held meanwhile; on failure it is given back, nothing is settled,
     * and the caller can still reject it.
     */
    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!state.compareAndSet(OPEN, REDELIVERING)) {
            return CompletableFuture.completedFuture(null);
        }
        if (!channel.isOpen()) {
            state.set(OPEN); // nothing was sent: a later settle finds it stale too
            return stale("redeliver");
        }
        CompletableFuture<Void> copied;
        try {
            copied = sub.transport().publishDelayed(sub.queue, newHeaders, body, delay);
        } catch (RuntimeException e) {
            copied = CompletableFuture.failedFuture(e);
        }
        return copied.handle((x, e) -> {
            if (e != null) {
                state.set(OPEN);
                return CompletableFuture.<Void>failedFuture(e);
            }
            state.set(SETTLED);
            return send("ack", () -> channel.basicAck(tag, false));
        }).thenCompose(f -> f);
    }

    private interface Io {
        void run() throws IOException;
    }

    /** Sends the settle on the delivery's channel; then tells the subscription (it may close the channel). */
    private CompletableFuture<Void> send(String what, Io io) {
        try {
            if (!channel.isOpen()) {
                return stale(what);
            }
            io.run();
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stale(what);
        } finally {
            sub.settled();
        }
    }

    private CompletableFuture<Void> stale(String what) {
        return CompletableFuture.failedFuture(new CourierException("cannot " + what + " message " + headers.get("id")
                + ": the delivery is stale, its channel closed (connection lost or transport closed) and RabbitMQ"
                + " delivers it again"));
    }
}
