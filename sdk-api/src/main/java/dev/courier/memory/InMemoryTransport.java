package dev.courier.memory;

import dev.courier.CourierException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.RawMessage;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connection to an {@link InMemoryBroker}: the embedded default transport ({@code memory:}).
 * Confirms mean the message is in the target queues; a full queue makes publish wait up to the
 * publish timeout, then fail with {@link PublishTimeoutException} — on a thread that delivers
 * (inside a delivery callback, which runs on whichever thread published or settled), the wait is a
 * pending future instead of a blocked thread. Closing the transport gives its unsettled deliveries
 * back to their queues, as a broker does when a connection drops; settling them afterwards fails.
 */
public final class InMemoryTransport implements Transport, dev.courier.spi.DeadLetterBrowsing {
    private static final Logger log = LoggerFactory.getLogger(InMemoryTransport.class);

    /** At most this many messages are taken from a queue under one lock. */
    static final int BATCH = 64;

    private final InMemoryBroker broker;
    private final List<MemorySubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicBoolean open = new AtomicBoolean();
    private volatile long publishTimeoutNanos = TimeUnit.SECONDS.toNanos(10);

    InMemoryTransport(InMemoryBroker broker) {
        this.broker = broker;
    }

    @Override
    public void start(TransportContext context) {
        publishTimeoutNanos = context.publishTimeout().toNanos();
        open.set(true);
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        if (!open.get()) {
            return CompletableFuture.failedFuture(new PublishException("memory transport is closed; cannot publish to " + to));
        }
        RawMessage message = new RawMessage(headers, body);
        if (to.kind() == Address.Kind.DEAD_LETTER) {
            return broker.addDeadLetter(to.name(), message) ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(new PublishException("dead-letter channel of service '" + to.name()
                    + "' is full; nothing was removed"));
        }
        java.util.Collection<MemoryQueue> queues = broker.route(to);
        if (queues.isEmpty() && to.kind() != Address.Kind.EVENT) {
            return CompletableFuture.failedFuture(new dev.courier.UnroutableException("unroutable: nobody consumes " + to
                    + " (no handler subscribed yet)"));
        }
        long timeout = publishTimeoutNanos;
        boolean delivering = Dispatch.delivering();
        CompletableFuture<Void> single = null;
        List<CompletableFuture<Void>> waits = null;
        Map<CompletableFuture<Void>, MemoryQueue> waitingOn = null;
        for (MemoryQueue q : queues) {
            CompletableFuture<Void> f = q.offer(message, timeout, delivering);
            if (f.isDone() && !f.isCompletedExceptionally()) {
                continue;
            }
            if (waits == null) {
                waits = new ArrayList<>(2);
                waitingOn = new HashMap<>(4);
            }
            waits.add(f);
            waitingOn.put(f, q);
            single = f;
        }
        if (waits == null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> all = waits.size() == 1 ? single : CompletableFuture.allOf(waits.toArray(new CompletableFuture[0]));
        if (delivering) {
            return all; // never block a thread that delivers: the room it waits for may depend on it
        }
        try {
            all.get(timeout, TimeUnit.NANOSECONDS); // back-pressure on the caller, up to the publish timeout
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            waitingOn.forEach((f, q) -> q.withdraw(f));
            return CompletableFuture.failedFuture(new PublishException("interrupted while waiting for room to publish to " + to, e));
        } catch (TimeoutException e) {
            waitingOn.forEach((f, q) -> q.expire(f, timeout));
        } catch (ExecutionException e) {
            // the future says why
        }
        return all;
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (!open.get()) {
            throw new dev.courier.CourierException("memory transport is closed");
        }
        MemorySubscription s = new MemorySubscription(broker.declare(address, group), address.withoutGroup(), group,
                prefetch, callback);
        subscriptions.add(s);
        s.open();
        return s;
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return new DeadLetterChannel() {
            @Override
            public List<RawMessage> browse(int max) {
                return broker.browseDeadLetters(service, max);
            }

            @Override
            public boolean remove(String messageId) {
                return broker.removeDeadLetter(service, messageId);
            }
        };
    }

    @Override
    public boolean isConnected() {
        return open.get();
    }

    @Override
    public Set<Capability> capabilities() {
        // named one by one: a capability added later is not claimed by default
        return EnumSet.of(Capability.REQUEUE, Capability.TAKEOVER_ON_DISCONNECT, Capability.LARGE_MESSAGES,
                Capability.UNROUTABLE_DETECTED);
    }

    @Override
    public String describe() {
        return "memory:" + broker.name();
    }

    @Override
    public void close() {
        if (open.compareAndSet(true, false)) {
            for (MemorySubscription s : subscriptions) {
                s.close();
                s.returnUnsettled();
            }
            subscriptions.clear();
        }
    }

    /**
     * A consumer without a thread of its own: whoever makes progress possible (a publish, an ack,
     * a requeue) dispatches, one at a time per subscription (a work-in-progress counter), so
     * deliveries stay in queue order and at most {@code prefetch} are unsettled.
     */
    private final class MemorySubscription implements TransportSubscription, Runnable {
        final MemoryQueue queue;
        final Address address;
        final String group;
        /** Deliveries it may still start (prefetch minus the unsettled); taken only by drain(), given back by settles. */
        final java.util.concurrent.atomic.AtomicInteger credits;
        /** The batch drain() takes from the queue under one lock; only drain() uses it (one at a time, see wip). */
        final MemoryQueue.Item[] batch;
        final DeliveryCallback callback;
        /**
         * Unsettled deliveries, for close to give back: a doubly linked list through the deliveries
         * themselves (no node, no hashing per delivery), guarded by its own lock, held only to link
         * or unlink one delivery.
         */
        private final Object unsettledLock = new Object();
        private MemoryDelivery unsettledHead;
        final java.util.concurrent.atomic.AtomicInteger wip = new java.util.concurrent.atomic.AtomicInteger();
        volatile boolean active = true;

        MemorySubscription(MemoryQueue queue, Address address, String group, int prefetch, DeliveryCallback callback) {
            this.queue = queue;
            this.address = address;
            this.group = group;
            this.credits = new java.util.concurrent.atomic.AtomicInteger(Math.max(1, prefetch));
            this.batch = new MemoryQueue.Item[Math.min(Math.max(1, prefetch), BATCH)];
            this.callback = callback;
        }

        void open() {
            queue.addConsumer(this);
            run();
        }

        /** Dispatches what it can; concurrent calls collapse into the one already running. */
        @Override
        public void run() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            boolean was = Dispatch.enter();
            try {
                int missed = 1;
                do {
                    drain();
                    missed = wip.addAndGet(-missed);
                } while (missed != 0);
            } finally {
                Dispatch.leave(was);
            }
        }

        /**
         * Takes up to its free credits from the queue, a batch under one lock, and hands them to the
         * callback in queue order. What it took but did not hand over because the subscription closed
         * meanwhile goes back to the front of the queue, in order, with its credits.
         */
        private void drain() {
            while (active) {
                int free = credits.get();
                if (free <= 0) {
                    return;
                }
                int n = queue.pollNow(batch, Math.min(free, batch.length));
                if (n == 0) {
                    return;
                }
                credits.addAndGet(-n); // only drain() takes credits, so at least n are still free
                for (int i = 0; i < n; i++) {
                    MemoryQueue.Item item = batch[i];
                    batch[i] = null;
                    if (!active) { // closed meanwhile: it takes nothing more from the group
                        giveBackUnstarted(item, i + 1, n);
                        return;
                    }
                    MemoryDelivery d = new MemoryDelivery(this, item);
                    link(d);
                    try {
                        callback.onDelivery(d);
                    } catch (RuntimeException e) {
                        log.error("delivery callback failed on {}; message returned to the queue", queue.name(), e);
                        d.reject(true);
                    }
                }
            }
        }

        /** Puts {@code first} and batch[from, n) back at the front of the queue, in their order, with their credits. */
        private void giveBackUnstarted(MemoryQueue.Item first, int from, int n) {
            List<MemoryQueue.Item> back = new ArrayList<>(n - from + 1);
            back.add(first);
            for (int j = from; j < n; j++) {
                back.add(batch[j]);
                batch[j] = null;
            }
            credits.addAndGet(back.size());
            queue.requeueFront(back);
        }

        @Override
        public boolean isActive() {
            return active && open.get();
        }

        @Override
        public void close() {
            active = false;
            queue.removeConsumer(this);
            broker.deleteReplyQueue(address);
        }

        @Override
        public void closeAndDelete() {
            close();
            broker.deleteQueueIfUnused(address, group, queue);
        }

        void returnUnsettled() {
            List<MemoryDelivery> all = new ArrayList<>();
            synchronized (unsettledLock) {
                for (MemoryDelivery d = unsettledHead; d != null; d = d.next) {
                    all.add(d);
                }
            }
            for (MemoryDelivery d : all) {
                d.takeBack(); // its settled() unlinks it
            }
        }

        void link(MemoryDelivery d) {
            synchronized (unsettledLock) {
                MemoryDelivery h = unsettledHead;
                d.next = h;
                if (h != null) {
                    h.prev = d;
                }
                unsettledHead = d;
                d.linked = true;
            }
        }

        void unlink(MemoryDelivery d) {
            synchronized (unsettledLock) {
                if (!d.linked) {
                    return;
                }
                d.linked = false;
                MemoryDelivery p = d.prev;
                MemoryDelivery n = d.next;
                if (p == null) {
                    unsettledHead = n;
                } else {
                    p.next = n;
                }
                if (n != null) {
                    n.prev = p;
                }
                d.prev = null;
                d.next = null;
            }
        }
    }

    /**
     * Settles once ({@link dev.courier.spi.support.SettleOnceDelivery}); once the transport closed and
     * gave it back to its queue, settling it fails as stale.
     */
    private static final class MemoryDelivery extends dev.courier.spi.support.SettleOnceDelivery {
        private final MemorySubscription sub;
        private final MemoryQueue.Item item;
        private volatile boolean takenBack;
        // its place in sub's unsettled list (guarded by sub.unsettledLock)
        private MemoryDelivery prev;
        private MemoryDelivery next;
        private boolean linked;

        MemoryDelivery(MemorySubscription sub, MemoryQueue.Item item) {
            super(sub.address, sub.group, item.message.headers(), item.message.body(), item.deliveries > 0);
            this.sub = sub;
            this.item = item;
        }

        @Override
        protected boolean isStale() {
            return takenBack;
        }

        @Override
        protected String staleReason() {
            return "its transport closed and gave it back to the queue, where it is delivered again";
        }

        @Override
        protected void settled() {
            sub.unlink(this);
            sub.credits.incrementAndGet();
            if (!takenBack) {
                sub.run(); // a credit is free: deliver the next message
            }
        }

        /** The transport closed: the message goes back to its queue, and settling it from now on fails. */
        void takeBack() {
            takenBack = true;
            if (giveBack()) {
                sub.queue.requeueFront(new MemoryQueue.Item(item.message, item.deliveries + 1));
            }
        }

        @Override
        protected CompletableFuture<Void> sendAck() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected CompletableFuture<Void> sendReject(boolean requeue) {
            if (requeue) {
                sub.queue.requeueFront(new MemoryQueue.Item(item.message, item.deliveries + 1));
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay) {
            RawMessage again = new RawMessage(headers, item.message.body());
            Dispatch.TIMERS.schedule(() -> sub.queue.requeueBack(again, item.deliveries + 1), delay.toMillis(),
                    TimeUnit.MILLISECONDS);
            return CompletableFuture.completedFuture(null);
        }
    }
}
