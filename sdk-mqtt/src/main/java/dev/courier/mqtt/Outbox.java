package dev.courier.mqtt;

import dev.courier.PublishException;
import dev.courier.UnroutableException;
import dev.courier.spi.support.ConfirmTracker;
import dev.courier.spi.support.ConfirmTracker.Pending;
import dev.courier.spi.support.PublishGate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The publishes of the main session, on the shared {@link ConfirmTracker} and {@link PublishGate}:
 * each PUBLISH is keyed by a counter of its own (the HiveMQ future completes on the PUBACK), waits
 * for room up to the publish timeout, and fails with {@link dev.courier.PublishTimeoutException}
 * when its PUBACK does not come within it. Publishes keep their order: while older ones are parked,
 * a new one is parked behind them.
 *
 * <p>Resend after a reconnect is Courier's, not HiveMQ's: Courier builds a fresh HiveMQ client for
 * every connection with automatic reconnect off, so the client that sent a PUBLISH is gone with its
 * connection and nobody else knows the packet. On a loss every unconfirmed publish is parked and
 * sent again, in order and with the same id, on the next connection (receivers deduplicate).
 *
 * <p>What is MQTT's own after a reconnect (the broker may have restarted and lost the shared
 * subscriptions, which come back only when the consumers reconnect):
 * <ul>
 * <li>MQTT 5: for {@link #RESUBSCRIBE_GRACE} a PUBACK "no matching subscribers" means "not subscribed
 * yet", for an event too (confirming it would lose it): the publish is sent again after 200 ms,
 * and one publish at a time is in flight meanwhile, so nothing overtakes it;</li>
 * <li>MQTT 3.1.1 (no reason codes): publishes are held for {@link #HOLD_AFTER_RECONNECT_3} after a
 * reconnect, so the consumers are subscribed again before anything is sent.</li>
 * </ul>
 * A caller on a transport thread never waits for room: its publish is handed to one sender thread
 * (in order) and it gets the future at once. Internal.
 */
final class Outbox {
    /** MQTT 5: how long after a reconnect "no matching subscribers" is taken as "not resubscribed yet". */
    static final Duration RESUBSCRIBE_GRACE = Duration.ofSeconds(12);
    /** MQTT 3.1.1: how long publishes are held after a reconnect (consumers' backoff is at most 5 s). */
    static final Duration HOLD_AFTER_RECONNECT_3 = Duration.ofSeconds(7);
    private static final long RETRY_NO_SUBSCRIBERS_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** One PUBLISH as Courier sends it (again after a reconnect). */
    record Out(String topic, Map<String, String> headers, byte[] body, boolean raw, boolean retain,
               String responseTopic, byte[] correlation, boolean needsSubscriber) {
    }

    private final MqttConfig cfg;
    private final String broker;
    private final PublishGate gate;
    private final ConfirmTracker<Out> tracker;
    private final ScheduledExecutorService scheduler;
    private final ExecutorService sender;
    private final AtomicLong keys = new AtomicLong();
    private final Object lock = new Object();
    /** The connection publishes go to; null while down. Guarded by lock, like the fields below. */
    private Wire live;
    /** PUBLISHes handed to the live connection's client and not answered yet. */
    private int onWire;
    /**
     * The most PUBLISHes handed to the client at once: maxInFlight, and no more than the broker's
     * receive maximum (CONNACK). Beyond that HiveMQ queues them itself and, once its queue is full,
     * blocks the publishing thread (Object.wait in MqttPublishFlowables.add) for as long as no PUBACK
     * comes: Courier parks them instead, where the publish timeout applies.
     */
    private int cap;
    private long reconnectedAt;
    private boolean reconnected;
    private long holdUntil;
    /** MQTT 5 grace: the publish answered "no matching subscribers", sent again first at retryAt. */
    private Pending<Out> retryFirst;
    private long retryAt;

    Outbox(MqttConfig cfg, String broker, java.util.concurrent.Executor completions, ScheduledExecutorService scheduler,
           ExecutorService sender) {
        this.cfg = cfg;
        this.broker = broker;
        this.gate = new PublishGate(cfg.maxInFlight());
        this.tracker = new ConfirmTracker<>(broker, gate, completions, scheduler, System::nanoTime);
        this.scheduler = scheduler;
        this.sender = sender;
    }

    /** @return the publish window (its gauge) */
    PublishGate window() {
        return gate;
    }

    /**
     * Publishes, waiting up to {@code timeout} for room (never on a transport thread). Never throws.
     *
     * @return completes on the PUBACK, on the completions executor; fails with a PublishException
     *         (PublishTimeoutException, UnroutableException) otherwise
     */
    CompletableFuture<Void> publish(Out m, String what, Duration timeout) {
        if (!Threads.onTransportThread()) {
            return admit(m, what, timeout);
        }
        CompletableFuture<Void> r = new CompletableFuture<>();
        try {
            sender.execute(() -> admit(m, what, timeout).whenComplete((x, e) -> {
                if (e == null) {
                    r.complete(null);
                } else {
                    r.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                }
            }));
        } catch (RejectedExecutionException e) {
            r.completeExceptionally(new PublishException("the MQTT transport is closed; cannot publish " + what));
        }
        return r;
    }

    private CompletableFuture<Void> admit(Out m, String what, Duration timeout) {
        Pending<Out> p = tracker.open(m, what, timeout);
        if (p.isDone()) {
            return p.future();
        }
        synchronized (lock) {
            if (live != null && !holding() && retryFirst == null && !tracker.hasParked() && onWire < room()) {
                send(live, p);
            } else {
                tracker.park(p);
                flushLocked();
            }
        }
        return p.future();
    }

    private boolean inGrace() {
        return reconnected && cfg.version() == MqttConfig.Version.V5
                && System.nanoTime() - reconnectedAt < RESUBSCRIBE_GRACE.toNanos();
    }

    /** How many PUBLISHes may be on the wire now: one at a time in the MQTT 5 grace after a reconnect. */
    private int room() {
        return inGrace() ? 1 : cap;
    }

    private boolean holding() {
        return reconnected && System.nanoTime() - holdUntil < 0;
    }

    private void send(Wire w, Pending<Out> p) {
        long key = keys.incrementAndGet();
        Out m = p.message();
        tracker.sent(key, p);
        onWire++;
        CompletableFuture<Wire.Outcome> f;
        try {
            f = m.raw() ? w.publishRaw(m.topic(), m.body(), cfg.qos(), m.retain())
                    : w.publish(m.topic(), m.headers(), m.body(), cfg.qos(), m.responseTopic(), m.correlation());
        } catch (RuntimeException e) {
            onWire--;
            if (tracker.unsent(key) != null) {
                tracker.complete(p, new PublishException("the MQTT client refused " + p.what() + ": " + e.getMessage(), e));
            }
            return;
        }
        if (inGrace()) {
            p.future().whenComplete((x, e) -> flush()); // one at a time in the grace: the next goes now
        }
        // a PUBLISH the sweep timed out still counts against the cap until its PUBACK or its connection's loss
        f.whenComplete((o, e) -> onAck(w, key, o, e));
    }

    private void onAck(Wire w, long key, Wire.Outcome o, Throwable e) {
        boolean more;
        synchronized (lock) {
            if (live == w) {
                onWire--;
            }
            more = retryFirst != null || tracker.hasParked();
        }
        if (e == null) {
            Pending<Out> p = o == Wire.Outcome.NO_SUBSCRIBERS ? tracker.get(key) : null;
            if (p != null) {
                // in the grace this means "not subscribed again yet" for every publish, an event included
                // (an event needs no subscriber, but confirming it here would lose it for the group that
                // resubscribes a moment later): nobody got it, so no duplicate; first again, shortly
                if (inGrace() && p.deadlineNanos() - System.nanoTime() > RETRY_NO_SUBSCRIBERS_NANOS
                        && tracker.unsent(key) != null) {
                    synchronized (lock) {
                        retryFirst = p;
                        retryAt = System.nanoTime() + RETRY_NO_SUBSCRIBERS_NANOS;
                    }
                    later(RETRY_NO_SUBSCRIBERS_NANOS);
                    return;
                }
                if (p.message().needsSubscriber()) {
                    tracker.fail(key, new UnroutableException("unroutable: the broker has no subscriber for " + p.what()
                            + " (topic " + p.message().topic() + "; PUBACK 0x10 no matching subscribers)"));
                    return;
                }
            }
            tracker.confirm(key);
        } else {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            boolean gone;
            synchronized (lock) {
                gone = live != w || !w.isConnected();
            }
            if (!gone) {
                tracker.fail(key, new PublishException("the broker did not accept the message ("
                        + c.getMessage() + ")", c));
            } // else: the connection dropped before the PUBACK; down() parks it for the next connection
        }
        if (more || tracker.hasParked()) {
            flush();
        }
    }

    private void later(long nanos) {
        try {
            scheduler.schedule(this::flush, nanos + 1_000_000, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void flush() {
        synchronized (lock) {
            flushLocked();
        }
    }

    /** Sends what waits, in order, as far as the connection, a hold and the grace allow. */
    private void flushLocked() {
        Wire w = live;
        if (w == null || holding()) {
            return;
        }
        if (retryFirst != null) {
            if (System.nanoTime() - retryAt < 0) {
                return;
            }
            Pending<Out> p = retryFirst;
            retryFirst = null;
            if (!p.isDone()) {
                send(w, p);
            }
        }
        if (!tracker.hasParked()) {
            return;
        }
        for (Pending<Out> p : tracker.resume(Math.max(0, room() - onWire))) {
            send(w, p);
        }
    }

    /** A connection is up (its subscriptions renewed): sends what waited, unless a 3.1.1 hold applies. */
    void up(Wire w, Wire.Session session, boolean first) {
        synchronized (lock) {
            live = w;
            onWire = 0;
            cap = Math.max(1, Math.min(cfg.maxInFlight(), session.receiveMaximum()));
            if (!first) {
                reconnected = true;
                reconnectedAt = System.nanoTime();
                if (cfg.version() == MqttConfig.Version.V3_1_1) {
                    holdUntil = reconnectedAt + HOLD_AFTER_RECONNECT_3.toNanos();
                    later(HOLD_AFTER_RECONNECT_3.toNanos());
                }
            }
            flushLocked();
        }
    }

    /** {@code w} dropped: every unconfirmed publish is parked for the next connection. */
    void down(Wire w) {
        synchronized (lock) {
            if (live != w) {
                return;
            }
            live = null;
            if (retryFirst != null) {
                tracker.park(retryFirst);
                retryFirst = null;
            }
            tracker.parkAll();
        }
    }

    /** Waits up to {@code bound} for the publishes in flight to be confirmed (or to fail). */
    void drain(Duration bound) {
        List<CompletableFuture<Void>> open = new ArrayList<>();
        for (Pending<Out> p : tracker.inFlight()) {
            open.add(p.future());
        }
        try {
            CompletableFuture.allOf(open.toArray(new CompletableFuture[0])).handle((x, e) -> null)
                    .get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // bounded: what is left fails at close
        }
    }

    /** Fails what still waits ("the transport closed") and stops the sweep. */
    void close() {
        synchronized (lock) {
            live = null;
            if (retryFirst != null) {
                tracker.park(retryFirst); // fails with the rest
                retryFirst = null;
            }
        }
        tracker.close();
    }

    @Override
    public String toString() {
        return "Outbox{" + broker + ", " + gate.inFlight() + "/" + gate.capacity() + "}";
    }
}
