package dev.courier.memory;

import dev.courier.spi.RawMessage;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO: put waits for room (count and bytes); consumers are told after every put or requeue
 * and take with {@link #pollNow}. Requeued messages go to the front and may pass the bound.
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
    private final Condition notFull = lock.newCondition();

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

    /** Waits up to {@code timeoutNanos} for room; false when there was none. */
    boolean put(RawMessage m, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            Item item = new Item(m, 0);
            long size = item.size;
            while (items.size() >= capacity || (bytes + size > maxBytes && !items.isEmpty())) {
                if (left <= 0) {
                    return false;
                }
                left = notFull.awaitNanos(left);
            }
            items.addLast(item);
            bytes += size;
        } finally {
            lock.unlock();
        }
        signalConsumers();
        return true;
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

    /** The next item, or null at once when there is none. */
    Item pollNow() {
        lock.lock();
        try {
            Item it = items.pollFirst();
            if (it != null) {
                bytes -= it.size;
                notFull.signal();
            }
            return it;
        } finally {
            lock.unlock();
        }
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
