package dev.courier.kit;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Watches the calls one thread makes, one at a time, and keeps the stack of the first call that is
 * still running after a bound — so a case that finds a call blocked too long can say where it was
 * blocked. One named daemon thread ({@code kit-call-watch}), stopped by {@link #close()}.
 */
final class CallWatch implements AutoCloseable {
    private final Thread caller = Thread.currentThread();
    private final long boundNanos;
    private final AtomicReference<String> stuck = new AtomicReference<>();
    private final Thread watcher;
    private volatile long startedAt = -1;
    private volatile boolean closed;

    /**
     * Starts watching the calls of the calling thread.
     *
     * @param bound how long a call may run before its stack is kept
     */
    CallWatch(Duration bound) {
        this.boundNanos = bound.toNanos();
        this.watcher = new Thread(this::watch, "kit-call-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** Marks the start of a call (on the watched thread). */
    void begin() {
        startedAt = System.nanoTime();
    }

    /** Marks the end of the call (on the watched thread). */
    void end() {
        startedAt = -1;
    }

    /**
     * Where the first call that overran the bound was, or a note that none was seen.
     *
     * @return the watched thread's stack at the time, one frame a line
     */
    String stuckAt() {
        String s = stuck.get();
        return s == null ? "(no stack kept)" : s;
    }

    private void watch() {
        while (!closed && stuck.get() == null) {
            long s = startedAt;
            if (s >= 0 && System.nanoTime() - s > boundNanos) {
                StringBuilder b = new StringBuilder();
                for (StackTraceElement e : caller.getStackTrace()) {
                    b.append("\n      at ").append(e);
                }
                stuck.compareAndSet(null, b.toString());
                return;
            }
            try {
                Thread.sleep(50); // a sampling period, not synchronisation
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Stops the watching thread. */
    @Override
    public void close() {
        closed = true;
        watcher.interrupt();
    }
}
