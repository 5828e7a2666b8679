package dev.courier.spi.support;

import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The publishes a transport sent and the broker has not confirmed yet, written once for every
 * transport. A publish goes through four steps:
 * <ol>
 * <li>{@link #open}: takes a place in the {@link PublishGate} (waiting up to the publish timeout) and
 * returns a {@link Pending} whose deadline is the publish timeout from now;</li>
 * <li>{@link #sent}: the transport wrote it under a key it chose (a channel sequence number, a packet
 * id, a frame sequence) — or {@link #park} when no connection is up;</li>
 * <li>{@link #confirm}/{@link #confirmUpTo}/{@link #fail}: the broker answered;</li>
 * <li>on a lost connection {@link #parkAll} moves every unconfirmed publish aside, and once a new
 * connection is up {@link #resume} hands back those whose deadline has not passed, to be sent again
 * with the same id (receivers deduplicate).</li>
 * </ol>
 * One sweep every {@link #SWEEP_INTERVAL} fails, with {@link PublishTimeoutException}, every publish
 * (sent or parked) whose deadline passed; so no future waits longer than its publish timeout plus one
 * sweep. Each future completes exactly once, on the {@code completions} executor (never on a
 * transport's I/O thread, so a completion that publishes again cannot stall the confirms it waits
 * for), and gives its place in the window back exactly once. Thread-safe.
 *
 * @param <M> what the transport needs to send the message again (its encoded form)
 */
public final class ConfirmTracker<M> implements AutoCloseable {
    /** How often deadlines are checked: every 50 ms, on the transport's scheduler. */
    public static final Duration SWEEP_INTERVAL = Duration.ofMillis(50);
    /** How far ahead "nothing is due" lies: far, yet safe for differences of {@link System#nanoTime()}. */
    private static final long NOTHING_DUE = 1L << 62;

    private final String broker;
    private final PublishGate gate;
    private final Executor completions;
    private final LongSupplier nanoTime;
    private final ConcurrentSkipListMap<Long, Pending<M>> sent = new ConcurrentSkipListMap<>();
    private final ConcurrentLinkedQueue<Pending<M>> parked = new ConcurrentLinkedQueue<>();
    /**
     * No sent or parked publish has a deadline before this (on the tracker's clock): the sweep looks at
     * nothing until then, instead of walking the whole window every 50 ms. Lowered after each publish is
     * tracked, recomputed by the sweep that runs once it is due.
     */
    private final AtomicLong nextDue;
    private final ScheduledFuture<?> sweep;
    private volatile boolean closed;

    /**
     * @param broker      the broker, for failure texts (never with credentials)
     * @param gate        the publish window
     * @param completions where futures complete (a Courier thread or pool)
     * @param scheduler   runs the deadline sweep
     * @param nanoTime    the clock of deadlines ({@code System::nanoTime} outside tests)
     */
    public ConfirmTracker(String broker, PublishGate gate, Executor completions, ScheduledExecutorService scheduler,
                          LongSupplier nanoTime) {
        this.broker = broker;
        this.gate = gate;
        this.completions = completions;
        this.nanoTime = nanoTime;
        this.nextDue = new AtomicLong(nanoTime.getAsLong() + NOTHING_DUE);
        long every = SWEEP_INTERVAL.toMillis();
        this.sweep = scheduler.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
    }

    /** One publish waiting for its confirm. */
    public static final class Pending<M> {
        private final M message;
        private final String what;
        private final long deadline;
        private final Duration timeout;
        private final CompletableFuture<Void> future = new CompletableFuture<>();
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile Object note;

        Pending(M message, String what, long deadline, Duration timeout) {
            this.message = message;
            this.what = what;
            this.deadline = deadline;
            this.timeout = timeout;
        }

        /** @return what the transport sends */
        public M message() {
            return message;
        }

        /** @return the message in words, for failure texts */
        public String what() {
            return what;
        }

        /** @return when the publish times out, on the tracker's clock */
        public long deadlineNanos() {
            return deadline;
        }

        /**
         * @return the publish future: completes on the confirm, fails on a refusal, a timeout or the
         *         transport's close; completes on the tracker's completions executor
         */
        public CompletableFuture<Void> future() {
            return future;
        }

        /** @return whether the future was completed (or is being completed) */
        public boolean isDone() {
            return done.get();
        }

        /** @return a note the transport attached (e.g. the broker returned it as unroutable), or null */
        public Object note() {
            return note;
        }

        /**
         * @param note a transport's note about this publish, read when it settles; a text note (a
         *             {@link CharSequence}, e.g. "held back by the broker's rate limit") is also added
         *             to the {@link PublishTimeoutException} of a publish that times out
         */
        public void note(Object note) {
            this.note = note;
        }
    }

    /**
     * Admits a publish: waits up to {@code timeout} for room in the window (blocking the caller).
     * When the window stays full, or the tracker is closed, the returned publish is already failed
     * ({@link Pending#isDone()}) and must not be sent.
     *
     * @param message what the transport sends
     * @param what    the message in words
     * @param timeout the publish timeout
     * @return the publish, not yet tracked
     */
    public Pending<M> open(M message, String what, Duration timeout) {
        Pending<M> p = new Pending<>(message, what, nanoTime.getAsLong() + timeout.toNanos(), timeout);
        if (closed) {
            p.done.set(true);
            p.future.completeExceptionally(new PublishException("the transport to " + broker
                    + " is closed; cannot publish " + what));
            return p;
        }
        RuntimeException full = gate.admit(timeout, what);
        if (full != null) {
            p.done.set(true);
            p.future.completeExceptionally(full);
        }
        return p;
    }

    /**
     * The transport wrote the publish under {@code key}; the confirm will name it.
     *
     * @param key the transport's key, increasing per connection
     * @param p   the publish
     */
    public void sent(long key, Pending<M> p) {
        if (!p.isDone()) {
            sent.put(key, p);
            due(p.deadline); // after the put: a sweep running now either sees it or keeps this deadline
        }
    }

    /**
     * The write under {@code key} failed before it reached the broker: the transport will send the
     * publish again or park it. Does not complete it.
     *
     * @param key the key given to {@link #sent}
     * @return the publish, or null when it had already settled (then do nothing more with it)
     */
    public Pending<M> unsent(long key) {
        return sent.remove(key);
    }

    /**
     * Keeps a publish aside until a connection is up ({@link #resume}); its deadline still runs.
     *
     * @param p the publish
     */
    public void park(Pending<M> p) {
        if (!p.isDone()) {
            parked.add(p);
            due(p.deadline);
        }
    }

    /** The connection was lost: every sent, unconfirmed publish is parked, to be sent again. */
    public void parkAll() {
        for (Long k : sent.keySet()) {
            Pending<M> p = sent.remove(k);
            if (p != null) {
                park(p);
            }
        }
    }

    /**
     * A connection is up: takes every parked publish whose deadline has not passed (the others fail
     * with {@link PublishTimeoutException}), oldest first. The transport sends each again and calls
     * {@link #sent} with its new key.
     *
     * @return the publishes to send again
     */
    public List<Pending<M>> resume() {
        return resume(Integer.MAX_VALUE);
    }

    /**
     * Like {@link #resume()}, but takes at most {@code max} publishes to send (expired ones fail on
     * the way and do not count); the rest stay parked, in order. For a transport whose protocol caps
     * the publishes in flight per connection (an MQTT 5 broker's receive maximum), so each confirm can
     * send the next few without going through the whole parked queue.
     *
     * @param max the most publishes to hand back; 0 hands back none
     * @return the publishes to send, oldest first
     */
    public List<Pending<M>> resume(int max) {
        List<Pending<M>> out = new ArrayList<>(Math.min(max, 64));
        long now = nanoTime.getAsLong();
        Pending<M> p;
        while (out.size() < max && (p = parked.poll()) != null) {
            if (p.deadline - now <= 0) {
                timeOut(p, "the connection to " + broker + " was down");
            } else if (!p.isDone()) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * The broker confirmed the publish under {@code key}.
     *
     * @param key its key
     */
    public void confirm(long key) {
        Pending<M> p = sent.remove(key);
        if (p != null) {
            settle(List.of(p), null);
        }
    }

    /**
     * The broker confirmed every publish up to and including {@code key} (AMQP's multiple ack).
     *
     * @param key the highest key confirmed
     */
    public void confirmUpTo(long key) {
        settle(takeUpTo(key), null);
    }

    /**
     * The broker refused the publish under {@code key}.
     *
     * @param key   its key
     * @param error the failure its future gets
     */
    public void fail(long key, Throwable error) {
        Pending<M> p = sent.remove(key);
        if (p != null) {
            settle(List.of(p), error);
        }
    }

    /**
     * The broker refused every publish up to and including {@code key} (AMQP's multiple nack).
     *
     * @param key   the highest key refused
     * @param error the failure their futures get
     */
    public void failUpTo(long key, Throwable error) {
        settle(takeUpTo(key), error);
    }

    /**
     * Completes a publish that was never tracked or was taken back with {@link #unsent}.
     *
     * @param p     the publish
     * @param error null for success, else the failure
     */
    public void complete(Pending<M> p, Throwable error) {
        settle(List.of(p), error);
    }

    /**
     * The publish under {@code key}, still waiting; null when there is none.
     *
     * @param key its key
     * @return the publish or null
     */
    public Pending<M> get(long key) {
        return sent.get(key);
    }

    /** @return the sent, unconfirmed publishes (a live view, in key order) */
    public Collection<Pending<M>> inFlight() {
        return Collections.unmodifiableCollection(sent.values());
    }

    /**
     * Whether any publish is parked. Cheap (constant time): a transport that keeps publish order parks
     * a new publish too while older ones are parked, and sends them all in order when it may.
     *
     * @return whether {@link #resume} would hand back anything (or fail what expired)
     */
    public boolean hasParked() {
        return !parked.isEmpty();
    }

    /** @return how many publishes are sent or parked and not yet settled */
    public int size() {
        return sent.size() + parked.size();
    }

    private List<Pending<M>> takeUpTo(long key) {
        ConcurrentNavigableMap<Long, Pending<M>> head = sent.headMap(key, true);
        List<Pending<M>> out = new ArrayList<>();
        for (Long k : head.keySet()) {
            Pending<M> p = sent.remove(k);
            if (p != null) {
                out.add(p);
            }
        }
        return out;
    }

    private void timeOut(Pending<M> p, String why) {
        settle(List.of(p), new PublishTimeoutException("no confirm from " + broker + " for " + p.what
                + " within the publish timeout of " + p.timeout + (why == null ? "" : " (" + why + ")")
                + (p.note instanceof CharSequence n ? " (" + n + ")" : "")
                + "; it may or may not have arrived, and publishing it again is safe"));
    }

    private void settle(List<Pending<M>> list, Throwable error) {
        List<Pending<M>> mine = new ArrayList<>(list.size());
        for (Pending<M> p : list) {
            if (p.done.compareAndSet(false, true)) {
                mine.add(p);
            }
        }
        if (mine.isEmpty()) {
            return;
        }
        gate.release(mine.size());
        Runnable r = () -> {
            for (Pending<M> p : mine) {
                if (error == null) {
                    p.future.complete(null);
                } else {
                    p.future.completeExceptionally(error);
                }
            }
        };
        try {
            completions.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            r.run(); // the executor shut down with the transport: complete here rather than never
        }
    }

    /** Lowers {@link #nextDue} to {@code deadline} if that is earlier. */
    private void due(long deadline) {
        nextDue.accumulateAndGet(deadline, (current, d) -> d - current < 0 ? d : current);
    }

    private void sweep() {
        long now = nanoTime.getAsLong();
        if (nextDue.get() - now > 0) {
            return; // no deadline has passed: nothing to walk through
        }
        // reset first, then walk: a publish tracked meanwhile is either seen by the walk or lowers it again
        nextDue.set(now + NOTHING_DUE);
        long next = now + NOTHING_DUE;
        for (Map.Entry<Long, Pending<M>> e : sent.entrySet()) {
            long deadline = e.getValue().deadline;
            if (deadline - now <= 0) {
                if (sent.remove(e.getKey(), e.getValue())) {
                    timeOut(e.getValue(), null);
                }
            } else if (deadline - next < 0) {
                next = deadline;
            }
        }
        for (Pending<M> p : parked) {
            if (p.deadline - now <= 0) {
                if (parked.remove(p)) {
                    timeOut(p, "the connection to " + broker + " was down");
                }
            } else if (p.deadline - next < 0) {
                next = p.deadline;
            }
        }
        due(next);
    }

    /**
     * Fails every waiting publish with a {@link PublishException} saying why, and stops the sweep.
     * Later {@link #open} calls fail at once.
     *
     * @param why why, e.g. "the transport closed"
     */
    public void failAll(String why) {
        List<Pending<M>> all = new ArrayList<>();
        for (Long k : sent.keySet()) {
            Pending<M> p = sent.remove(k);
            if (p != null) {
                all.add(p);
            }
        }
        Pending<M> p;
        while ((p = parked.poll()) != null) {
            all.add(p);
        }
        for (Pending<M> q : all) {
            settle(List.of(q), new PublishException(q.what + " was not confirmed by " + broker + ": " + why
                    + "; it may or may not have arrived, and publishing it again is safe"));
        }
    }

    /** Closes: fails what waits ("the transport closed") and stops the sweep. */
    @Override
    public void close() {
        closed = true;
        sweep.cancel(false);
        failAll("the transport closed");
    }
}
