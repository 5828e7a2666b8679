package dev.courier.spi.support;

import dev.courier.PublishTimeoutException;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The publish window with Courier's one back-pressure rule: at most {@link #capacity()} publishes
 * wait for their confirm at a time; a publish that finds the window full waits for room up to its
 * publish timeout, then its future fails with {@link PublishTimeoutException} (the call itself never
 * throws). Every transport uses this rule; none fails a full window at once and none waits forever.
 * A permit is released exactly once per admitted publish, when its confirm tracker settles it.
 * Thread-safe.
 */
public final class PublishGate implements Transport.PublishWindow {
    private final int capacity;
    private final Semaphore permits;

    /**
     * @param capacity how many publishes may wait for their confirm at once; at least 1
     * @throws IllegalArgumentException when capacity is below 1 (a programming error of the transport)
     */
    public PublishGate(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("publish window capacity must be at least 1, was " + capacity);
        }
        this.capacity = capacity;
        this.permits = new Semaphore(capacity);
    }

    /**
     * Takes a place in the window, waiting for one up to {@code timeout}. Blocks the calling thread
     * for at most {@code timeout}.
     *
     * @param timeout how long to wait for room: the publish timeout
     * @param what    the message, for the failure text ("event v1.order.placed id 42")
     * @return null when admitted (release it later through the tracker), else the failure to give
     *         the publish future: a {@link PublishTimeoutException} naming the window, or a
     *         {@link dev.courier.PublishException} when the thread was interrupted
     */
    public RuntimeException admit(Duration timeout, String what) {
        try {
            if (permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new dev.courier.PublishException("interrupted while waiting for room to publish " + what, e);
        }
        return new PublishTimeoutException("no room to publish " + what + ": " + capacity
                + " publishes waited for the broker's confirm for the whole publish timeout of " + timeout
                + " (the publish window is full; the broker is slow, blocked or unreachable)");
    }

    /** Gives back one place. */
    public void release() {
        permits.release();
    }

    /**
     * Gives back several places.
     *
     * @param n how many; 0 does nothing
     */
    public void release(int n) {
        if (n > 0) {
            permits.release(n);
        }
    }

    @Override
    public int inFlight() {
        return capacity - permits.availablePermits();
    }

    @Override
    public int capacity() {
        return capacity;
    }
}
