package dev.courier.kafka;

import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One subscription: a {@link KafkaConsumer} in the service's group on its own polling thread (the thread
 * the callback runs on). At most {@code prefetch} deliveries are open; beyond that the partitions are
 * paused. Settles from any thread are queued and applied by the polling thread, which commits what
 * {@link OffsetTracker} allows. On a revocation (rebalance) it commits what is settled and gives back the
 * rest; a lost partition (the member was fenced) is given back without a commit. Closing the subscription
 * stops deliveries at once and leaves the group once the open deliveries are settled (at most
 * {@link #LINGER}); closing the transport leaves at once and gives back what is open.
 */
final class KafkaSubscription implements TransportSubscription, Runnable {
    private static final Logger log = LoggerFactory.getLogger(KafkaSubscription.class);
    /** How long a closed subscription stays in its group waiting for its open deliveries to settle. */
    static final Duration LINGER = Duration.ofSeconds(30);
    /** The longest poll; settles that free a slot, closing and stopping wake it earlier. */
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long a member giving partitions up in a rebalance waits for their open deliveries to settle. */
    static final Duration REVOKE_GRACE = Duration.ofSeconds(15);
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** One assigned partition; {@code revoked} makes its deliveries stale. */
    static final class Part {
        final TopicPartition tp;
        final OffsetTracker tracker = new OffsetTracker();
        final Set<KafkaDelivery> open = ConcurrentHashMap.newKeySet();
        volatile boolean revoked;
        /** Records up to this offset were handed out before by a member that gave the partition up. */
        long deliveredBefore = -1;

        Part(TopicPartition tp) {
            this.tp = tp;
        }
    }

    private record Settle(Part part, long offset) {
    }

    private final KafkaTransport transport;
    private final Address address;
    private final String group;
    private final int prefetch;
    /** Records fetched and not yet handed out, at most this many; beyond, the partitions are paused. */
    private final int bufferCap;
    private final DeliveryCallback callback;
    private final List<String> topics;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final long subscribedAt = System.currentTimeMillis();
    private final Map<TopicPartition, Part> parts = new HashMap<>();
    private final ArrayDeque<ConsumerRecord<byte[], byte[]>> buffer = new ArrayDeque<>();
    private final ConcurrentLinkedQueue<Settle> settles = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean closeOnce = new AtomicBoolean();
    private final CountDownLatch exitedLatch = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean stopped;
    private volatile boolean starved;
    private volatile boolean exited;
    private volatile long lingerUntil;
    private volatile boolean assignedOnce;
    private final String clientId;

    KafkaSubscription(KafkaTransport transport, Address address, String group, int prefetch, DeliveryCallback callback,
                      List<String> topics, KafkaConsumer<byte[], byte[]> consumer, String clientId) {
        this.clientId = clientId;
        this.transport = transport;
        this.address = address;
        this.group = group;
        this.prefetch = prefetch;
        this.callback = callback;
        this.topics = topics;
        this.consumer = consumer;
        this.bufferCap = Math.max(prefetch, 500);
        this.thread = new Thread(this, "courier-kafka-" + address.kind().name().toLowerCase(java.util.Locale.ROOT) + "-"
                + address.name() + "-" + SEQ.incrementAndGet());
        thread.setDaemon(true);
    }

    void startPolling() {
        thread.start();
    }

    Address address() {
        return address;
    }

    /** @return whether the consumer has been given its partitions at least once */
    boolean assignedOnce() {
        return assignedOnce;
    }

    String clientId() {
        return clientId;
    }

    boolean exited() {
        return exited;
    }

    @Override
    public boolean isActive() {
        return !closing && !stopped && transport.isConnected();
    }

    /** Stops deliveries now; leaves the group once open deliveries settle (bounded by {@link #LINGER}). */
    @Override
    public void close() {
        if (closeOnce.compareAndSet(false, true)) {
            lingerUntil = System.nanoTime() + LINGER.toNanos();
            closing = true;
            consumer.wakeup();
            // stays known to the transport until it has left the group: the transport's close must stop a
            // subscription that still lingers for its open deliveries
        }
    }

    /** The transport closes: leave the group now, giving back what is open; waits for the thread (bounded). */
    void stop(Duration bound) {
        closing = true;
        stopped = true;
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                exitedLatch.await(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---- settles, from any thread ----

    void settle(Part part, long offset) {
        settles.add(new Settle(part, offset));
    }

    void released(KafkaDelivery d) {
        d.part().open.remove(d);
        int left = outstanding.decrementAndGet();
        if (starved && left < prefetch) {
            starved = false;
            consumer.wakeup();
        } else if (closing && left == 0) {
            consumer.wakeup();
        }
    }

    CompletableFuture<Void> requeue(KafkaDelivery d, byte[] key) {
        Map<String, String> h = d.headers();
        return transport.sendInternal(transport.topics().requeueTopic(address, group), key, h, d.body(),
                Map.of(CloudEventsBinding.REQUEUED, "1"));
    }

    CompletableFuture<Void> retryLater(KafkaDelivery d, byte[] key, Map<String, String> headers, Duration delay) {
        long due = System.currentTimeMillis() + Math.max(0, delay.toMillis());
        return transport.retries().schedule(group, transport.topics().requeueTopic(address, group), key, headers,
                d.body(), due);
    }

    // ---- the polling thread ----

    @Override
    public void run() {
        try {
            consumer.subscribe(topics, new Rebalance());
            while (!stopped) {
                applySettles();
                commitAsync();
                if (closing) {
                    if (outstanding.get() == 0 || System.nanoTime() - lingerUntil > 0) {
                        break;
                    }
                    buffer.clear();
                } else {
                    deliver();
                }
                flowControl();
                ConsumerRecords<byte[], byte[]> records;
                try {
                    boolean ready = !closing && !buffer.isEmpty() && outstanding.get() < prefetch;
                    records = consumer.poll(ready ? Duration.ZERO : POLL);
                } catch (WakeupException e) {
                    continue;
                }
                if (!closing) {
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        buffer.add(r);
                    }
                    deliver();
                }
            }
        } catch (RuntimeException e) {
            if (!stopped) {
                log.warn("the Kafka consumer of {} for {} stopped: {}", address, group, e.toString());
            }
        } finally {
            leave();
        }
    }

    private void deliver() {
        ConsumerRecord<byte[], byte[]> r;
        while (!closing && outstanding.get() < prefetch && (r = buffer.poll()) != null) {
            Part p = parts.get(new TopicPartition(r.topic(), r.partition()));
            if (p == null || p.revoked) {
                continue;
            }
            Map<String, String> headers = CloudEventsBinding.fromKafka(r.headers());
            boolean requeued = CloudEventsBinding.text(r.headers(), CloudEventsBinding.REQUEUED) != null
                    || r.offset() <= p.deliveredBefore;
            KafkaDelivery d = new KafkaDelivery(this, p, r.offset(), r.key(), r.headers(), address, group, headers,
                    r.value() == null ? new byte[0] : r.value(), requeued);
            p.tracker.delivered(r.offset());
            p.open.add(d);
            outstanding.incrementAndGet();
            try {
                callback.onDelivery(d);
            } catch (RuntimeException e) {
                log.warn("a delivery callback for {} threw {}; the record stays open until settled", address, e.toString());
            }
        }
    }

    private void flowControl() {
        Set<TopicPartition> assigned = consumer.assignment();
        if (assigned.isEmpty()) {
            return;
        }
        starved = !closing && !buffer.isEmpty() && outstanding.get() >= prefetch;
        if (starved && outstanding.get() < prefetch) {
            starved = false; // a settle raced with this check: deliver on the next turn without a wakeup
        }
        boolean hold = closing || buffer.size() >= bufferCap;
        if (hold) {
            if (consumer.paused().size() < assigned.size()) {
                consumer.pause(assigned);
            }
        } else if (!consumer.paused().isEmpty()) {
            consumer.resume(consumer.paused());
        }
    }

    private void applySettles() {
        Settle s;
        while ((s = settles.poll()) != null) {
            if (s.part.revoked) {
                continue;
            }
            long next = s.part.tracker.settled(s.offset);
            if (next >= 0) {
                toCommit.put(s.part.tp, mark(s.part, next));
            }
        }
    }

    private void commitAsync() {
        if (toCommit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>(toCommit);
        toCommit.clear();
        Map<TopicPartition, Part> owners = new HashMap<>();
        batch.keySet().forEach(tp -> owners.put(tp, parts.get(tp)));
        // the callback runs on this polling thread (inside a later poll or commit), so it may touch toCommit
        consumer.commitAsync(batch, (offsets, e) -> {
            if (e != null) {
                failedCommit(batch, owners, e);
            }
        });
    }

    /**
     * An asynchronous commit failed. Overtaken by a rebalance (expected; kafka-clients itself may log it at
     * ERROR, see docs/transport-kafka.md) or retriable: committed again for the partitions still owned, the
     * others' records come again to their next owner. Anything else is a WARN; the next settle commits again.
     * {@code owners} are the partitions' owners when the commit was sent.
     */
    private void failedCommit(Map<TopicPartition, OffsetAndMetadata> batch, Map<TopicPartition, Part> owners,
                              Exception e) {
        if (CommitFailures.commitAgain(e)) {
            // only while the same ownership lasts: a partition given up and assigned again starts over from the
            // group's commit, and an offset settled under the old ownership could skip records handed out anew
            int again = CommitFailures.requeue(batch, toCommit, tp -> {
                Part p = parts.get(tp);
                return p != null && p == owners.get(tp) && !p.revoked;
            });
            log.debug("committing {} for {} {} ({}); committing {} partition(s) this member still owns again, the"
                    + " records of the others come again to their next owner (deduplicated)", batch, group,
                    CommitFailures.overtakenByRebalance(e) ? "was overtaken by a rebalance" : "failed for now",
                    e.toString(), again);
        } else {
            log.warn("committing {} for {} failed ({}); nothing is skipped: the next settle commits again, and"
                    + " records not committed come again to the group", batch, group, e.toString());
        }
    }

    private void commitSync(Collection<TopicPartition> only) {
        applySettles();
        Map<TopicPartition, OffsetAndMetadata> batch = new HashMap<>();
        for (TopicPartition tp : only) {
            Part p = parts.get(tp);
            if (p != null && p.tracker.handOver() >= 0) {
                batch.put(tp, mark(p, p.tracker.handOver()));
            }
        }
        toCommit.keySet().removeAll(only);
        if (!batch.isEmpty()) {
            try {
                uninterrupted(() -> {
                    consumer.commitSync(batch, Duration.ofSeconds(5));
                    return null;
                });
            } catch (RuntimeException e) {
                log.debug("committing {} for {} failed ({}); the records come again to the group", batch, group,
                        e.toString());
            }
        }
    }

    /**
     * The commit of {@code offset}, with the highest offset handed out in its metadata
     * ({@code courier:delivered=<offset>}): the partition's next owner flags those records redelivered.
     */
    private static OffsetAndMetadata mark(Part p, long offset) {
        long delivered = Math.max(p.tracker.highestDelivered(), p.deliveredBefore);
        return new OffsetAndMetadata(offset, delivered < offset ? "" : DELIVERED + delivered);
    }

    private static final String DELIVERED = "courier:delivered=";

    private static long deliveredMark(OffsetAndMetadata m) {
        if (m == null || m.metadata() == null || !m.metadata().startsWith(DELIVERED)) {
            return -1;
        }
        try {
            return Long.parseLong(m.metadata().substring(DELIVERED.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private <T> T uninterrupted(java.util.function.Supplier<T> call) {
        return Wakeups.uninterrupted(call, consumer::wakeup, () -> stopped);
    }

    private void giveBack(Collection<TopicPartition> tps) {
        for (TopicPartition tp : tps) {
            Part p = parts.remove(tp);
            if (p == null) {
                continue;
            }
            p.revoked = true;
            for (KafkaDelivery d : new ArrayList<>(p.open)) {
                d.giveBackToGroup();
            }
        }
        buffer.removeIf(r -> tps.contains(new TopicPartition(r.topic(), r.partition())));
    }

    private void leave() {
        try {
            commitSync(new ArrayList<>(parts.keySet()));
        } catch (RuntimeException e) {
            log.debug("final commit for {} failed: {}", group, e.toString());
        }
        exited = true;
        giveBack(new ArrayList<>(parts.keySet()));
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            log.debug("closing the consumer of {} for {}: {}", address, group, e.toString());
        }
        exitedLatch.countDown();
        transport.forget(this);
    }

    /** Runs on the polling thread inside poll(). */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            awaitOpenSettled(revoked);
            commitSync(revoked);
            giveBack(revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            giveBack(lost);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            for (TopicPartition tp : assigned) {
                parts.put(tp, new Part(tp));
            }
            startNewPartitionsAtSubscribeTime(assigned);
            assignedOnce = true;
        }
    }

    /**
     * Before giving partitions up in a rebalance, lets the deliveries open on them be settled (up to
     * {@link #REVOKE_GRACE}; never when the transport closes): handlers that finish meanwhile commit
     * instead of having their records handled again by the partition's next owner.
     */
    private void awaitOpenSettled(Collection<TopicPartition> revoked) {
        long deadline = System.nanoTime() + REVOKE_GRACE.toNanos();
        while (!stopped && System.nanoTime() - deadline < 0) {
            boolean open = false;
            for (TopicPartition tp : revoked) {
                Part p = parts.get(tp);
                open |= p != null && !p.open.isEmpty();
            }
            if (!open) {
                return;
            }
            applySettles();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
    }

    /**
     * A partition the group has never committed starts at the records written since this subscription
     * was made (a new service does not read the topic's history, and misses nothing published after it
     * subscribed); that start is committed at once so every member agrees on it.
     */
    private void startNewPartitionsAtSubscribeTime(Collection<TopicPartition> assigned) {
        if (assigned.isEmpty()) {
            return;
        }
        try {
            // a wakeup (a close, a settle handed to this thread) must not leave these partitions without their start
            Map<TopicPartition, OffsetAndMetadata> committed = uninterrupted(() -> consumer.committed(
                    new HashSet<>(assigned), Duration.ofSeconds(10)));
            Map<TopicPartition, Long> fresh = new HashMap<>();
            for (TopicPartition tp : assigned) {
                Part p = parts.get(tp);
                if (p != null) {
                    p.deliveredBefore = deliveredMark(committed.get(tp));
                }
                if (committed.get(tp) == null) {
                    fresh.put(tp, subscribedAt);
                }
            }
            if (fresh.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndTimestamp> at = uninterrupted(() -> consumer.offsetsForTimes(fresh,
                    Duration.ofSeconds(10)));
            Map<TopicPartition, Long> ends = uninterrupted(() -> consumer.endOffsets(fresh.keySet(),
                    Duration.ofSeconds(10)));
            Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
            for (TopicPartition tp : fresh.keySet()) {
                OffsetAndTimestamp o = at.get(tp);
                long offset = o != null ? o.offset() : ends.getOrDefault(tp, 0L);
                consumer.seek(tp, offset);
                start.put(tp, new OffsetAndMetadata(offset));
            }
            uninterrupted(() -> {
                consumer.commitSync(start, Duration.ofSeconds(10));
                return null;
            });
        } catch (RuntimeException e) {
            log.warn("could not set the start of new partitions {} for {} ({}); they start at the earliest record",
                    assigned, group, e.toString());
        }
    }
}
