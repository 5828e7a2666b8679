package dev.courier.kafka;

import dev.courier.spi.Address;
import dev.courier.spi.support.SettleOnceDelivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One record handed to a subscriber. Its settle becomes an offset commit by the subscription's polling
 * thread (under {@link OffsetTracker}'s rule); reject with requeue and redeliverLater first write a copy
 * (to the service's direct topic, or to its retry topic with a due time) and settle once the broker has it.
 * It is stale once its partition was taken from this member (a rebalance, the subscription or transport
 * closed): then the group's next owner of the partition reads it again.
 */
final class KafkaDelivery extends SettleOnceDelivery {
    private final KafkaSubscription subscription;
    private final KafkaSubscription.Part part;
    private final long offset;
    private final byte[] key;
    private final org.apache.kafka.common.header.Headers recordHeaders;

    KafkaDelivery(KafkaSubscription subscription, KafkaSubscription.Part part, long offset, byte[] key,
                  org.apache.kafka.common.header.Headers recordHeaders, Address address, String group, Map<String, String> headers, byte[] body, boolean redelivered) {
        super(address, group, headers, body, redelivered);
        this.subscription = subscription;
        this.part = part;
        this.offset = offset;
        this.key = key;
        this.recordHeaders = recordHeaders;
    }

    KafkaSubscription.Part part() {
        return part;
    }

    /** @return the record's Kafka headers (transport headers included), for the retry mover */
    org.apache.kafka.common.header.Headers recordHeaders() {
        return recordHeaders;
    }

    byte[] key() {
        return key;
    }

    long offset() {
        return offset;
    }

    @Override
    protected boolean isStale() {
        return part.revoked || subscription.exited();
    }

    @Override
    protected String staleReason() {
        return "its partition " + part.tp + " was taken from this member (a rebalance, or the subscription or"
                + " transport closed)";
    }

    @Override
    protected CompletableFuture<Void> sendAck() {
        subscription.settle(part, offset);
        return CompletableFuture.completedFuture(null);
    }

    @Override
    protected CompletableFuture<Void> sendReject(boolean requeue) {
        if (!requeue) {
            subscription.settle(part, offset);
            return CompletableFuture.completedFuture(null);
        }
        return subscription.requeue(this, key).thenRun(() -> subscription.settle(part, offset));
    }

    @Override
    protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay) {
        return subscription.retryLater(this, key, headers, delay).thenRun(() -> subscription.settle(part, offset));
    }

    @Override
    protected void settled() {
        subscription.released(this);
    }

    /** The transport gives the record back (its partition went away): later settles fail as stale. */
    void giveBackToGroup() {
        giveBack();
    }
}
