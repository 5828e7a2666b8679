package dev.courier.kafka;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Delayed redelivery over retry topics, without blocking any partition: a copy goes to the service's retry
 * topic {@code <prefix>.retry.<service>} with its due time ({@code courier-due}, epoch millis) and where it
 * goes back to ({@code courier-target}); the original is settled once the broker has the copy. Each
 * transport with a subscription of the service runs a mover in the service's group: it takes every retry
 * record at once, holds it until due (a timer, not a blocked partition), writes it back to its target and
 * then acks it — so the retry topic's offsets follow the same commit rule as every subscription, and a
 * mover that dies leaves its held records to the group's next mover (they may come back twice; the bus
 * deduplicates by id).
 */
final class Retries {
    private static final Logger log = LoggerFactory.getLogger(Retries.class);
    /** How many retry records one mover holds at once before it pauses its partitions. */
    static final int HELD = 10_000;

    private final KafkaTransport transport;
    private final Map<String, KafkaSubscription> movers = new ConcurrentHashMap<>();

    Retries(KafkaTransport transport) {
        this.transport = transport;
    }

    /** Starts the mover of {@code service}'s retry topic in this transport, once. */
    void ensureMover(String service) {
        movers.computeIfAbsent(service, s -> transport.subscribeTopics(new Address(Address.Kind.EVENT, "retry", s), s,
                HELD, this::onRetry, java.util.List.of(transport.topics().retry(s)), false));
    }

    CompletableFuture<Void> schedule(String service, String target, byte[] key, Map<String, String> headers, byte[] body,
                                     long dueMillis) {
        return transport.sendInternal(transport.topics().retry(service), key, headers, body,
                Map.of(CloudEventsBinding.DUE, Long.toString(dueMillis), CloudEventsBinding.TARGET, target));
    }

    private void onRetry(Delivery d) {
        KafkaDelivery k = (KafkaDelivery) d;
        String target = CloudEventsBinding.text(k.recordHeaders(), CloudEventsBinding.TARGET);
        String dueText = CloudEventsBinding.text(k.recordHeaders(), CloudEventsBinding.DUE);
        if (target == null || dueText == null) {
            log.warn("a record without courier-target/courier-due on a retry topic was dropped (offset {})", k.offset());
            d.ack();
            return;
        }
        long due;
        try {
            due = Long.parseLong(dueText);
        } catch (NumberFormatException e) {
            due = 0;
        }
        moveAt(k, target, due);
    }

    private void moveAt(KafkaDelivery d, String target, long due) {
        long delay = Math.max(0, due - System.currentTimeMillis());
        try {
            transport.scheduler().schedule(() -> transport.sendInternal(target, d.key(), d.headers(), d.body(), Map.of())
                    .whenComplete((x, e) -> {
                        if (e == null) {
                            d.ack();
                        } else if (!transport.isClosed()) {
                            log.debug("moving a retry record to {} failed ({}); trying again in 1 s", target, e.toString());
                            moveAt(d, target, System.currentTimeMillis() + 1000);
                        }
                    }), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the transport is closing: the record stays unsettled and comes again to the group
        }
    }
}
