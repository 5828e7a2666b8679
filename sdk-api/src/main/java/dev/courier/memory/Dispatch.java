package dev.courier.memory;

import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The memory transport's own threads and the mark of a thread that delivers. A publish never waits
 * for room on a marked thread (it may be the very thread that would make room); it returns a pending
 * future instead. Internal.
 */
final class Dispatch {
    private Dispatch() {
    }

    private static final ThreadLocal<boolean[]> DELIVERING = ThreadLocal.withInitial(() -> new boolean[1]);

    /** Delayed redeliveries and publish timeouts; its thread counts as a delivering thread. */
    static final ScheduledThreadPoolExecutor TIMERS = timers();

    private static ScheduledThreadPoolExecutor timers() {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(() -> {
                DELIVERING.get()[0] = true;
                r.run();
            }, "courier-memory-timers");
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    /** Marks this thread as delivering; returns the previous mark for {@link #leave}. */
    static boolean enter() {
        boolean[] mark = DELIVERING.get();
        boolean was = mark[0];
        mark[0] = true;
        return was;
    }

    static void leave(boolean was) {
        DELIVERING.get()[0] = was;
    }

    /** True on a thread that is delivering (inside a subscription's dispatch, or a timer). */
    static boolean delivering() {
        return DELIVERING.get()[0];
    }
}
