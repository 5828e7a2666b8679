package dev.courier.memory;

import dev.courier.PublishTimeoutException;
import dev.courier.spi.RawMessage;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO (count and bytes). {@link #offer} takes a message at once when there is room and
 * nobody waits; otherwise the message waits, in arrival order, until a take makes room or its
 * publish timeout passes. Consumers are told after every offer or requeue and take with
 * {@link #pollNow}. Requeued messages go to the front (or back) and may pass the bound.
 */
final class MemoryQueue {

    /** A queued message and how often it was delivered. */
    static final class Item {
        final RawMessage message;
        final int deliveries;
        final long size;

        Item(RawMessage message, int deliveries) {
            this.message = message;
            this.deliveries = deliveries;
            this.size = size(message);
        }
    }

    private final String name;
    private final int capacity;
    private final long maxBytes;
    private long bytes;
    private final ArrayDeque<Item> items = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final java.util.List<Runnable> consumers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger nextConsumer = new java.util.concurrent.atomic.AtomicInteger();
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();

    MemoryQueue(String name, int capacity, long maxBytes) {
        this.name = name;
        this.capacity = capacity;
        this.maxBytes = maxBytes;
    }

    String name() {
        return name;
    }

    /** A consumer's dispatcher, run after every put or requeue (it must not block). */
    void addConsumer(Runnable dispatcher) {
        consumers.add(dispatcher);
    }

    void removeConsumer(Runnable dispatcher) {
        consumers.remove(dispatcher);
    }

    boolean hasConsumers() {
        return !consumers.isEmpty();
    }

    /** Lets consumers take what arrived, starting with a different one each time (round robin). */
    private void signalConsumers() {
        java.util.List<Runnable> cs = consumers;
        int n = cs.size();
        if (n == 0) {
            return;
        }
        int start = Math.floorMod(nextConsumer.getAndIncrement(), n);
        for (int i = 0; i < n; i++) {
            try {
                cs.get((start + i) % n).run();
            } catch (IndexOutOfBoundsException removedMeanwhile) {
                return;
            }
        }
    }

    /** A publish waiting for room. */
    private static final class Waiter {
        final Item item;
        final CompletableFuture<Void> admitted = new CompletableFuture<>();
        volatile ScheduledFuture<?> expiry;

        Waiter(Item item) {
            this.item = item;
        }
    }

    private boolean hasRoom(long size) {
        return items.size() < capacity && (bytes + size <= maxBytes || items.isEmpty());
    }

    /**
     * Takes {@code m}: at once (a completed future) when there is room and nobody waits before it,
     * otherwise when room comes, in arrival order. With {@code expire}, the future fails with
     * {@link PublishTimeoutException} when {@code timeoutNanos} pass first; without, the caller
     * waits on it with that timeout and then calls {@link #expire(CompletableFuture, long)} itself
     * (no timer per blocked publish). Never blocks.
     */
    CompletableFuture<Void> offer(RawMessage m, long timeoutNanos, boolean expire) {
        Item item = new Item(m, 0);
        Waiter w;
        lock.lock();
        try {
            if (waiting.isEmpty() && hasRoom(item.size)) {
                items.addLast(item);
                bytes += item.size;
                w = null;
            } else {
                w = new Waiter(item);
                waiting.addLast(w);
            }
        } finally {
            lock.unlock();
        }
        if (w == null) {
            signalConsumers();
            return CompletableFuture.completedFuture(null);
        }
        if (expire) {
            w.expiry = Dispatch.TIMERS.schedule(() -> expire(w, timeoutNanos), timeoutNanos, TimeUnit.NANOSECONDS);
            if (w.admitted.isDone()) {
                w.expiry.cancel(false);
            }
        }
        return w.admitted;
    }

    private void expire(Waiter w, long timeoutNanos) {
        boolean removed;
        lock.lock();
        try {
            removed = waiting.remove(w);
        } finally {
            lock.unlock();
        }
        if (removed) {
            w.admitted.completeExceptionally(new PublishTimeoutException("queue " + name + " stayed full for the"
                    + " publish timeout of " + Duration.ofNanos(timeoutNanos)));
        }
    }

    /** Fails a waiting offer with {@link PublishTimeoutException} unless it was taken meanwhile. */
    void expire(CompletableFuture<Void> offered, long timeoutNanos) {
        Waiter found = null;
        lock.lock();
        try {
            for (Waiter w : waiting) {
                if (w.admitted == offered) {
                    found = w;
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (found != null) {
            expire(found, timeoutNanos);
        }
    }

    /** Gives up a waiting offer (its publisher was interrupted); true when it had not been taken yet. */
    boolean withdraw(CompletableFuture<Void> offered) {
        lock.lock();
        try {
            return waiting.removeIf(w -> w.admitted == offered);
        } finally {
            lock.unlock();
        }
    }

    /** Moves waiting messages into the queue while there is room; call with the lock held. */
    private List<Waiter> admit() {
        List<Waiter> admitted = null;
        while (!waiting.isEmpty() && hasRoom(waiting.peekFirst().item.size)) {
            Waiter w = waiting.pollFirst();
            items.addLast(w.item);
            bytes += w.item.size;
            if (admitted == null) {
                admitted = new ArrayList<>();
            }
            admitted.add(w);
        }
        return admitted;
    }

    private static void complete(List<Waiter> admitted) {
        for (Waiter w : admitted) {
            if (w.expiry != null) {
                w.expiry.cancel(false);
            }
            w.admitted.complete(null);
        }
    }

    void requeueFront(Item item) {
        lock.lock();
        try {
            items.addFirst(item);
            bytes += item.size;
        } finally {
            lock.unlock();
        }
        signalConsumers();
    }

    /** Puts {@code front} back at the front of the queue, keeping their order (they were taken first to last). */
    void requeueFront(List<Item> front) {
        lock.lock();
        try {
            for (int i = front.size() - 1; i >= 0; i--) {
                Item item = front.get(i);
                items.addFirst(item);
                bytes += item.size;
            }
        } finally {
            lock.unlock();
        }
        signalConsumers();
    }

    void requeueBack(RawMessage m, int deliveries) {
        lock.lock();
        try {
            Item item = new Item(m, deliveries);
            items.addLast(item);
            bytes += item.size;
        } finally {
            lock.unlock();
        }
        signalConsumers();
    }

    /**
     * The next item, or null at once when there is none. The room it frees goes to waiting offers,
     * whose futures complete on this thread (a delivering thread, so their dependents never block it).
     */
    Item pollNow() {
        Item it;
        List<Waiter> admitted = null;
        lock.lock();
        try {
            it = items.pollFirst();
            if (it != null) {
                bytes -= it.size;
                if (!waiting.isEmpty()) {
                    admitted = admit();
                }
            }
        } finally {
            lock.unlock();
        }
        if (admitted != null) {
            complete(admitted);
            signalConsumers();
        }
        return it;
    }

    /**
     * Takes up to {@code max} items into {@code into} (from index 0) under one lock, in queue order,
     * as that many {@link #pollNow()} calls would; returns how many. The room they free goes to
     * waiting offers as in {@link #pollNow()}.
     */
    int pollNow(Item[] into, int max) {
        int n = 0;
        List<Waiter> admitted = null;
        lock.lock();
        try {
            while (n < max) {
                Item it = items.pollFirst();
                if (it == null) {
                    break;
                }
                bytes -= it.size;
                into[n++] = it;
                if (!waiting.isEmpty()) {
                    List<Waiter> more = admit();
                    if (more != null) {
                        if (admitted == null) {
                            admitted = more;
                        } else {
                            admitted.addAll(more);
                        }
                    }
                }
            }
        } finally {
            lock.unlock();
        }
        if (admitted != null) {
            complete(admitted);
            signalConsumers();
        }
        return n;
    }

    /** Approximate bytes of a message: the body plus a flat 64 bytes per header (cheap, and an upper bound in practice). */
    static long size(RawMessage m) {
        return m.body().length + 64L * m.headers().size();
    }

    int depth() {
        lock.lock();
        try {
            return items.size();
        } finally {
            lock.unlock();
        }
    }
}
