package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import dev.courier.spi.support.SettleOnceDelivery;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A message from a consumer channel; settle-once and stale handling are {@link SettleOnceDelivery}'s.
 * What is AMQP: an ack or reject is {@code basic.ack}/{@code basic.reject} with the delivery tag on the
 * channel it came on; the delivery is stale once that channel has closed (connection lost, transport
 * closed), because a tag is only valid on its own channel — RabbitMQ has taken the message back and
 * delivers it again. A delayed redelivery publishes the copy to the TTL queue of its delay step
 * ({@link Delays}), then acks. Closing only the subscription keeps its channel open, so its outstanding
 * deliveries can still be settled. Internal.
 */
final class AmqpDelivery extends SettleOnceDelivery {
    private final AmqpSubscription sub;
    private final Channel channel;
    private final Acks acks;
    private final long tag;

    AmqpDelivery(AmqpSubscription sub, Channel channel, Acks acks, long tag, Map<String, String> headers, byte[] body,
                 boolean redelivered) {
        super(sub.address, sub.group, Collections.unmodifiableMap(headers), body, redelivered); // a fresh map
        this.sub = sub;
        this.channel = channel;
        this.acks = acks;
        this.tag = tag;
    }

    @Override
    protected boolean isStale() {
        return !channel.isOpen();
    }

    @Override
    protected String staleReason() {
        return "its channel closed (connection lost or transport closed)";
    }

    /**
     * Handed to the channel's {@link Acks}: sent at once or within about a millisecond, with the acks of
     * the deliveries next to it as one {@code basic.ack(multiple)} (never covering a delivery not settled
     * yet); a subscription or transport closing sends what waits first.
     */
    @Override
    protected CompletableFuture<Void> sendAck() {
        acks.ack(tag);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletableFuture<Void> sendReject(boolean requeue) {
        acks.reject(tag, requeue);
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Publishes the copy with the new headers to the TTL queue of this delay step, which dead-letters it
     * back to this subscription's own queue; acks this delivery once RabbitMQ confirmed the copy.
     */
    @Override
    protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay) {
        return sub.transport().delays().publish(sub.queue, headers, body(), delay).thenCompose(x -> sendAck());
    }

    @Override
    protected void settled() {
        sub.settled();
    }
}
