package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A message from a consumer channel. Settling on a channel that has closed since (connection lost,
 * channel error) is refused with a failed future rather than sent with a stale delivery tag: the
 * broker has already taken the message back and delivers it again, and deduplication absorbs it.
 * Internal.
 */
final class AmqpDelivery implements Delivery {
    private final AmqpSubscription sub;
    private final Channel channel;
    private final long tag;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean redelivered;
    private final AtomicBoolean settled = new AtomicBoolean();

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
        if (!settled.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        if (!channel.isOpen()) {
            return stale("ack");
        }
        try {
            channel.basicAck(tag, false);
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stale("ack");
        }
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        if (!settled.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        if (!channel.isOpen()) {
            return stale("reject");
        }
        try {
            channel.basicReject(tag, requeue);
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stale("reject");
        }
    }

    /**
     * Publishes the message with the new headers to the TTL queue of this delay step, which
     * dead-letters it back to this subscription's own queue; acks this delivery once RabbitMQ
     * confirmed that. On failure nothing is settled, so the caller can still reject it.
     */
    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (settled.get()) {
            return CompletableFuture.completedFuture(null);
        }
        return sub.transport().publishDelayed(sub.queue, newHeaders, body, delay).thenCompose(x -> ack());
    }

    private CompletableFuture<Void> stale(String what) {
        return CompletableFuture.failedFuture(new CourierException("cannot " + what + " message " + headers.get("id")
                + ": its channel closed (connection lost or recovered) and RabbitMQ delivers it again"));
    }
}
