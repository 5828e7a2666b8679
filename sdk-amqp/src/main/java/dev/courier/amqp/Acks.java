package dev.courier.amqp;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The acks and rejects of one consumer channel, coalesced: acks of contiguous delivery tags go out as
 * one {@code basic.ack(tag, multiple=true)} instead of one frame (and one socket write) each, with
 * the same meaning per delivery.
 *
 * <ul>
 *   <li>A multiple ack only covers a run of deliveries that are all settled, starting right after the
 *       last tag settled on the wire: an ack of delivery N never acks an earlier delivery M &lt; N the bus
 *       has not settled. Its tag is always an ack not sent before (RabbitMQ closes the channel for a
 *       multiple ack of a tag it no longer holds).</li>
 *   <li>Rejects (requeue or drop) go out one by one, each before any multiple ack that spans its tag.</li>
 *   <li>An ack is held back at most {@link #HOLD_NANOS} (a later ack, or a timer of its own thread,
 *       sends it): at once when no other delivery of the channel is unsettled (nothing else would follow
 *       soon), when {@code batch} acks wait (the prefetch window must not fill with them), and once the
 *       channel's subscription is closing. An ack that waits behind an unsettled earlier delivery for
 *       longer is sent on its own ({@code multiple=false}).</li>
 *   <li>{@link #drain} sends everything that waits before the channel is closed on purpose. A channel that
 *       closed under it (connection lost) makes every write fail quietly: RabbitMQ takes back what was not
 *       acked and delivers it again (the deliveries were stale anyway).</li>
 * </ul>
 *
 * <p>Only one thread writes at a time ({@link #wire}); the others mark what they settled and leave, and
 * the writer looks again before it lets go. Deliveries are registered ({@link #delivered}) in tag order
 * on the channel's consumer thread. Internal.
 */
final class Acks {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    /** The longest an ack is held back to be sent with later ones, while acks keep coming. */
    static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** The timer that sends what is held when no later ack comes (the bound on the delay). */
    static final long TIMER_NANOS = 2 * HOLD_NANOS;

    /** Where the frames go: the channel, or a recorder in tests. */
    interface Out {
        /**
         * {@code basic.ack}.
         *
         * @param tag      the delivery tag
         * @param multiple whether every unacked tag up to {@code tag} is meant
         * @throws IOException when the channel is closed
         */
        void ack(long tag, boolean multiple) throws IOException;

        /**
         * {@code basic.reject}.
         *
         * @param tag     the delivery tag
         * @param requeue whether RabbitMQ delivers it again
         * @throws IOException when the channel is closed
         */
        void reject(long tag, boolean requeue) throws IOException;
    }

    /** Runs a task later on a thread that may block on the socket; throws when shut down. */
    interface Timer {
        /**
         * @param nanos how long from now
         * @param task  what to run
         * @throws RejectedExecutionException when it runs nothing any more (closing)
         */
        void after(long nanos, Runnable task);

        /**
         * @param s the executor, or null for none
         * @return a timer on {@code s}, null for null
         */
        static Timer on(ScheduledExecutorService s) {
            return s == null ? null : (nanos, task) -> s.schedule(task, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private static final byte OPEN = 0;
    private static final byte ACK = 1;
    private static final byte DONE = 2;
    private static final byte REQUEUE = 3;
    private static final byte DROP = 4;

    private final Out out;
    private final Timer timer;
    private final int batch;
    private final LongSupplier clock;
    /** Held by the one thread that writes frames. */
    private final ReentrantLock wire = new ReentrantLock();

    // guarded by this
    private byte[] states = new byte[64];
    /** The lowest tag not settled on the wire yet: every tag below it is. */
    private long base = 1;
    /** One past the highest tag registered. */
    private long next = 1;
    /** Registered and not settled by the bus. */
    private int unsettled;
    /** Acks marked and not written. */
    private int waiting;
    /** Rejects marked and not written. */
    private int rejects;
    /** When the oldest ack that waits was marked; meaningless while none waits. */
    private long oldest;
    private boolean timerArmed;
    /** A writer should look (set by whoever wants frames out; cleared by the writer that takes them). */
    private boolean requested;
    /** The writer should send also the acks that wait behind an unsettled delivery (one by one). */
    private boolean flushAll;
    /** Closing: nothing is held back any more. */
    private boolean urgent;

    /**
     * @param out   where frames go
     * @param timer the thread that sends held acks when no later ack comes (may block on the socket: not a
     *              thread with other duties); null: nothing is held back
     * @param batch how many acks may wait at most (a fraction of the prefetch)
     * @param clock {@link System#nanoTime()}, or a test's
     */
    Acks(Out out, Timer timer, int batch, LongSupplier clock) {
        this.out = out;
        this.timer = timer;
        this.batch = Math.max(1, batch);
        this.clock = clock;
    }

    /** The batch for a prefetch: a quarter of it, at most 64 (a prefetch of 1–7 holds nothing back). */
    static int batchFor(int prefetch) {
        return Math.max(1, Math.min(64, prefetch / 4));
    }

    /** On the consumer thread, in tag order, before the delivery is handed out. */
    synchronized void delivered(long tag) {
        if (tag < next) {
            return; // not a new tag (never happens on one channel)
        }
        long span = tag - base + 1;
        if (span > states.length) {
            grow(span);
        }
        for (long t = next; t <= tag; t++) {
            states[index(t)] = OPEN; // a tag never seen (a gap) stays open for good: nothing passes it but single acks
        }
        next = tag + 1;
        unsettled++;
    }

    /** The bus acked {@code tag}: sent now or soon (see the class comment). Never throws. */
    void ack(long tag) {
        boolean now;
        synchronized (this) {
            if (!mark(tag, ACK)) {
                return;
            }
            long t = clock.getAsLong();
            if (waiting++ == 0) {
                oldest = t;
            }
            boolean all = waiting >= batch || t - oldest >= HOLD_NANOS;
            now = urgent || timer == null || unsettled == 0 || all;
            if (now) {
                requested = true;
                flushAll |= all || urgent || timer == null;
            } else if (!timerArmed) {
                timerArmed = arm();
                if (!timerArmed) {
                    requested = true;
                    flushAll = true;
                    now = true;
                }
            }
        }
        if (now) {
            flush();
        }
    }

    /** The bus rejected {@code tag}: sent now, before any multiple ack that spans it. Never throws. */
    void reject(long tag, boolean requeue) {
        synchronized (this) {
            if (!mark(tag, requeue ? REQUEUE : DROP)) {
                return;
            }
            rejects++;
            requested = true;
        }
        flush();
    }

    /**
     * From now on nothing is held back, and what waits is sent now: on this thread, or by the thread
     * writing now (never waits for it). When the subscription closes.
     */
    void hurry() {
        synchronized (this) {
            urgent = true;
            requested = true;
            flushAll = true;
        }
        flush();
    }

    /**
     * Sends everything that waits, on this thread, waiting for a writer that is busy; from now on nothing
     * is held back. Right before the channel is closed on purpose, on a thread that may wait.
     */
    void drain() {
        synchronized (this) {
            urgent = true;
            requested = true;
            flushAll = true;
        }
        wire.lock();
        try {
            writeRequested();
        } finally {
            wire.unlock();
        }
        flush();
    }

    /** @return acks marked and not written yet; for tests */
    synchronized int waiting() {
        return waiting;
    }

    private boolean mark(long tag, byte how) {
        if (tag < base || tag >= next || states[index(tag)] != OPEN) {
            return false; // settled already (the delivery's own settle-once keeps this from happening)
        }
        states[index(tag)] = how;
        unsettled--;
        return true;
    }

    private boolean arm() {
        try {
            timer.after(TIMER_NANOS, this::expired);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    private void expired() {
        synchronized (this) {
            timerArmed = false;
            if (waiting == 0 && rejects == 0) {
                return;
            }
            requested = true;
            flushAll = true;
        }
        flush();
    }

    /**
     * Writes what was requested unless another thread is writing, which then looks again before it lets
     * go (so nothing requested is left behind: a request is set before the try, the look after the unlock).
     */
    private void flush() {
        while (true) {
            if (!wire.tryLock()) {
                return;
            }
            try {
                writeRequested();
            } finally {
                wire.unlock();
            }
            synchronized (this) {
                if (!requested) {
                    return;
                }
            }
        }
    }

    /** Holding {@link #wire}: takes what is due under the lock, writes it outside. */
    private void writeRequested() {
        long[] frames;
        synchronized (this) {
            if (!requested) {
                return;
            }
            requested = false;
            boolean all = flushAll || urgent;
            flushAll = false;
            frames = take(all);
        }
        write(frames);
    }

    /**
     * Under the lock: the frames due now, in wire order, as (tag, kind) pairs; kind 0 ack, 1 multiple ack,
     * 2 reject with requeue, 3 reject without. Marks them written.
     */
    private long[] take(boolean all) {
        long[] f = new long[8];
        int n = 0;
        if (rejects > 0) {
            for (long t = base; t < next; t++) {
                byte s = states[index(t)];
                if (s == REQUEUE || s == DROP) {
                    f = room(f, n);
                    f[n++] = t;
                    f[n++] = s == REQUEUE ? 2 : 3;
                    states[index(t)] = DONE;
                    rejects--;
                }
            }
        }
        long t = base;
        long last = -1;
        int covered = 0;
        for (; t < next; t++) {
            byte s = states[index(t)];
            if (s == OPEN) {
                break;
            }
            if (s == ACK) {
                last = t;
                covered++;
            }
        }
        base = t;
        if (last > 0) {
            f = room(f, n);
            f[n++] = last;
            f[n++] = covered > 1 ? 1 : 0; // one ack left in the run: the same thing said singly
            waiting -= covered;
        }
        if (all && waiting > 0) {
            for (long u = base; u < next && waiting > 0; u++) {
                if (states[index(u)] == ACK) {
                    f = room(f, n);
                    f[n++] = u;
                    f[n++] = 0;
                    states[index(u)] = DONE;
                    waiting--;
                }
            }
        }
        return n == f.length ? f : java.util.Arrays.copyOf(f, n);
    }

    private static long[] room(long[] f, int n) {
        return n + 2 <= f.length ? f : java.util.Arrays.copyOf(f, f.length * 2);
    }

    private void write(long[] f) {
        for (int i = 0; i < f.length; i += 2) {
            long tag = f[i];
            try {
                switch ((int) f[i + 1]) {
                    case 0 -> out.ack(tag, false);
                    case 1 -> out.ack(tag, true);
                    case 2 -> out.reject(tag, true);
                    default -> out.reject(tag, false);
                }
            } catch (IOException | RuntimeException e) {
                // the channel closed under it: RabbitMQ takes back what was not acked and delivers it again
                log.debug("settling delivery {} failed, its channel is closing: {}", tag, e.toString());
                return;
            }
        }
    }

    private int index(long tag) {
        return (int) (tag & (states.length - 1));
    }

    private void grow(long span) {
        int size = states.length;
        while (size < span) {
            size *= 2;
        }
        byte[] bigger = new byte[size];
        for (long t = base; t < next; t++) {
            bigger[(int) (t & (size - 1))] = states[index(t)];
        }
        states = bigger;
    }
}
