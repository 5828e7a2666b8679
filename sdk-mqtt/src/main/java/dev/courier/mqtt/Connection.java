package dev.courier.mqtt;

import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One persistent MQTT session kept alive: connects with clean start off, reconnects with exponential
 * backoff (a fresh {@link Wire} per connection), restores subscriptions when the broker lost the
 * session, bounds in-flight publishes, and sends a publish again on the next connection when its
 * connection dropped before the PUBACK (until the publish timeout). Internal.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final long MAX_BACKOFF_MS = 5_000;
    /**
     * What the client announces: the protocol maximum. Mosquitto resends a resumed session's messages
     * beyond a smaller announced receive maximum, and the HiveMQ client then drops the connection; the
     * broker's max_inflight_messages is the real cap.
     */
    static final int RECEIVE_MAXIMUM = 65_535;
    /**
     * How long after a reconnect a "no matching subscribers" PUBACK is taken as "not resubscribed yet":
     * Mosquitto 2.0 does not restore shared subscriptions from persistence, so after a broker restart a
     * shared group has no member until its consumers reconnect (backoff at most 5 s) and subscribe again.
     * Within this window such a publish is sent again; the broker delivered it to nobody, so no duplicate.
     */
    private static final long RESUBSCRIBE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(12);
    private volatile long reconnectedAt = Long.MIN_VALUE;
    /**
     * MQTT 3.1.1 has no "no matching subscribers": after a reconnect, publishes are held this long, so that
     * the consumers, which lost their shared subscriptions if the broker restarted, are subscribed again
     * before anything is sent (their reconnect backoff is at most 5 s; 2 s for connecting and subscribing
     * on a loaded machine). Issue 12.3: without it, events confirmed in the first ~0.1-5 s were lost.
     */
    static final long HOLD_AFTER_RECONNECT_3_NANOS = TimeUnit.SECONDS.toNanos(7);
    private volatile long holdUntil = Long.MIN_VALUE;

    /** A publish waiting for its confirm, and when it times out (one sweep instead of a timer per message). */
    private record Pending(long deadline, String topic, Duration timeout) {
    }

    private final Map<CompletableFuture<Wire.Outcome>, Pending> pending = new ConcurrentHashMap<>();

    /** One try of a publish on one connection; settled once, by its PUBACK or by its connection's loss. */
    private static final class Attempt {
        final Wire wire;
        final Runnable resend;
        private final java.util.concurrent.atomic.AtomicBoolean settled = new java.util.concurrent.atomic.AtomicBoolean();

        Attempt(Wire wire, Runnable resend) {
            this.wire = wire;
            this.resend = resend;
        }

        boolean settle() {
            return settled.compareAndSet(false, true);
        }
    }

    private final Set<Attempt> attempts = ConcurrentHashMap.newKeySet();

    private void resendLater(Attempt at) {
        if (at.settle()) {
            attempts.remove(at);
            at.resend.run();
        }
    }

    /** A received message and the connection epoch it arrived on. */
    record Received(Wire.Incoming message, long epoch) {
    }

    private final MqttConfig cfg;
    private final String clientId;
    private final Duration expiry;
    private final Consumer<Received> handler;
    private final Executor callbacks;
    private final Executor completions;
    private final ScheduledExecutorService scheduler;
    private final Set<String> filters = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ScheduledFuture<?> sweep;
    private final Object lock = new Object();
    private volatile Wire wire;
    /** The wire whose connection is up; only its loss starts a reconnect (a failed attempt retries itself). */
    private Wire connectedWire;
    private volatile long epoch;
    private volatile CompletableFuture<Wire> ready = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile Wire.Session session;
    /** The shared jittered reconnect backoff (100 ms doubling to 5 s, reset after 30 s of a stable connection). */
    private final dev.courier.spi.Backoff backoff = dev.courier.spi.Backoff.custom()
            .maxDelay(java.time.Duration.ofMillis(MAX_BACKOFF_MS)).build();

    Connection(MqttConfig cfg, String clientId, Duration expiry, Consumer<Received> handler, Executor callbacks,
               Executor completions, ScheduledExecutorService scheduler) {
        this.completions = completions;
        this.cfg = cfg;
        this.clientId = clientId;
        this.expiry = expiry;
        this.handler = handler;
        this.callbacks = callbacks;
        this.scheduler = scheduler;
        this.sweep = scheduler.scheduleWithFixedDelay(this::expire, 250, 250, TimeUnit.MILLISECONDS);
    }

    String clientId() {
        return clientId;
    }

    long epoch() {
        return epoch;
    }

    Wire.Session session() {
        return session;
    }

    /** Connects the first time, or fails with a clear exception after the connect timeout. */
    Wire.Session start() {
        CompletableFuture<Wire.Session> first = attempt();
        try {
            return first.get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            close(false);
            throw new IllegalStateException("could not connect to MQTT broker " + cfg.host() + ":" + cfg.port()
                    + " as '" + clientId + "' within " + cfg.connectTimeout(), e);
        } catch (ExecutionException e) {
            close(false);
            throw new IllegalStateException("could not connect to MQTT broker " + cfg.host() + ":" + cfg.port()
                    + " as '" + clientId + "': " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close(false);
            throw new IllegalStateException("interrupted while connecting to " + cfg.host() + ":" + cfg.port(), e);
        }
    }

    private CompletableFuture<Wire.Session> attempt() {
        long myEpoch;
        Wire w;
        synchronized (lock) {
            myEpoch = ++epoch;
            long e = myEpoch;
            Wire[] self = new Wire[1];
            w = Wire.open(cfg, clientId, m -> handler.accept(new Received(m, e)), callbacks,
                    () -> onDisconnected(self[0], e));
            self[0] = w;
            wire = w;
        }
        return w.connect(false, expiry, RECEIVE_MAXIMUM).thenCompose(s -> {
            session = s;
            // Subscribe again even when the session is present: Mosquitto 2.0 does not restore shared
            // subscriptions from its persistence file after a restart (the session comes back without them).
            // Subscribing to an existing subscription only replaces it.
            CompletableFuture<?>[] subs = filters.stream().map(f -> w.subscribe(f, cfg.qos()))
                    .toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(subs).thenApply(x -> s);
        }).whenComplete((s, e) -> {
            if (e == null) {
                if (myEpoch > 1) {
                    reconnectedAt = System.nanoTime(); // before anyone publishes on the new connection
                    if (cfg.version() == MqttConfig.Version.V3_1_1) {
                        holdUntil = reconnectedAt + HOLD_AFTER_RECONNECT_3_NANOS;
                        later(this::pump, TimeUnit.NANOSECONDS.toMillis(HOLD_AFTER_RECONNECT_3_NANOS) + 1);
                    }
                }
                synchronized (lock) {
                    if (wire == w && !closed) {
                        backoff.connected();
                        connectedWire = w;
                        ready.complete(w);
                    }
                }
                pump();
                if (myEpoch > 1) {
                    log.info("MQTT client '{}' reconnected to {}:{} (session {})", clientId, cfg.host(), cfg.port(),
                            s.present() ? "resumed, subscriptions renewed" : "new, subscriptions restored");
                }
            }
        });
    }

    private void onDisconnected(Wire w, long e) {
        synchronized (lock) {
            if (connectedWire != w || closed) {
                return;
            }
            connectedWire = null;
            if (ready.isDone()) {
                ready = new CompletableFuture<>();
            }
            for (Attempt at : attempts) {
                if (at.wire == w) {
                    resendLater(at); // back into the queue, in its place, for the next connection
                }
            }
            log.warn("MQTT client '{}' lost its connection to {}:{}; reconnecting", clientId, cfg.host(), cfg.port());
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        long delay = backoff.nextDelay().toMillis();
        later(() -> {
            if (closed) {
                return;
            }
            attempt().whenComplete((s, e) -> {
                if (e != null) {
                    log.debug("MQTT client '{}' reconnect failed: {}", clientId, e.toString());
                    synchronized (lock) {
                        if (!closed) {
                            scheduleReconnect();
                        }
                    }
                }
            });
        }, delay);
    }

    /** Runs {@code r} after {@code ms} on the transport's timer; nothing once the transport has closed. */
    private void later(Runnable r, long ms) {
        try {
            scheduler.schedule(r, ms, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("MQTT client '{}': timer gone (closing)", clientId);
        }
    }

    boolean isClosed() {
        return closed;
    }

    boolean isConnected() {
        Wire w = wire;
        return !closed && ready.isDone() && !ready.isCompletedExceptionally() && w != null && w.isConnected();
    }

    /** Subscribes now and after every reconnect into a lost session. */
    void subscribe(String filter, Duration timeout) {
        filters.add(filter);
        try {
            ready.thenCompose(w -> w.subscribe(filter, cfg.qos())).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not subscribe '" + clientId + "' to " + filter + ": "
                    + (e instanceof ExecutionException ? e.getCause() : e), e);
        }
    }

    CompletableFuture<Void> unsubscribe(String filter) {
        filters.remove(filter);
        return ready.thenCompose(w -> w.unsubscribe(filter));
    }

    /**
     * Publishes within {@code timeout}. Publishes go out in the order they were made, one FIFO queue
     * per connection: also those waiting for a connection during an outage, and those sent again on
     * the next connection because theirs dropped before the PUBACK (they keep their place). At most
     * {@code maxInFlight} are unconfirmed at a time. A caller on a transport thread (delivery callback,
     * completion) never waits: it gets the pending future at once; any other caller waits until its
     * publish is on the wire (room and a connection), up to the timeout. Completes on the client's
     * network thread: callers hand off before running anything that may block.
     */
    CompletableFuture<Wire.Outcome> publish(String topic, Map<String, String> headers, byte[] body, boolean raw,
                                            boolean retain, String responseTopic, byte[] correlation, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Wire.Outcome> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new PublishException("MQTT transport is closed; cannot publish to " + topic));
            return result;
        }
        Queued q = new Queued(sequence.incrementAndGet(), result, topic, headers, body, raw, retain, responseTopic,
                correlation, deadline, timeout);
        pending.put(result, new Pending(deadline, topic, timeout));
        result.whenComplete((x, e) -> {
            pending.remove(result);
            boolean wasInFlight;
            synchronized (queue) {
                wasInFlight = q.inFlight;
                q.inFlight = false;
                if (wasInFlight) {
                    inFlightCount--;
                }
            }
            q.sent.complete(null);
            if (wasInFlight) {
                pump();
            }
        });
        synchronized (queue) {
            queue.add(q);
        }
        pump();
        if (!q.sent.isDone() && !Threads.onTransportThread()) {
            try {
                q.sent.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                result.completeExceptionally(new PublishTimeoutException("no room to publish to " + topic + " within the"
                        + " publish timeout of " + timeout + " (" + cfg.maxInFlight() + " publishes in flight"
                        + (isConnected() ? ")" : ", broker unreachable)")));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(new PublishException("interrupted while publishing to " + topic, e));
            } catch (ExecutionException e) {
                // never: sent only completes normally
            }
        }
        return result;
    }

    /** A publish in the connection's queue or in flight. Fields after {@code timeout} guarded by the queue. */
    private static final class Queued {
        final long seq;
        final CompletableFuture<Wire.Outcome> result;
        final String topic;
        final Map<String, String> headers;
        final byte[] body;
        final boolean raw;
        final boolean retain;
        final String responseTopic;
        final byte[] correlation;
        final long deadline;
        final Duration timeout;
        /** Completes once the publish is on the wire (or over): what a waiting caller waits for. */
        final CompletableFuture<Void> sent = new CompletableFuture<>();
        boolean inFlight;

        Queued(long seq, CompletableFuture<Wire.Outcome> result, String topic, Map<String, String> headers, byte[] body,
               boolean raw, boolean retain, String responseTopic, byte[] correlation, long deadline, Duration timeout) {
            this.seq = seq;
            this.result = result;
            this.topic = topic;
            this.headers = headers;
            this.body = body;
            this.raw = raw;
            this.retain = retain;
            this.responseTopic = responseTopic;
            this.correlation = correlation;
            this.deadline = deadline;
            this.timeout = timeout;
        }
    }

    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
    /** Publishes waiting for room or a connection, oldest (lowest sequence) first. */
    private final java.util.PriorityQueue<Queued> queue = new java.util.PriorityQueue<>(
            java.util.Comparator.comparingLong(q -> q.seq));
    private int inFlightCount;
    private final java.util.concurrent.atomic.AtomicInteger pumping = new java.util.concurrent.atomic.AtomicInteger();

    /** Publishes sent on this connection and not confirmed yet (for the publish-window gauge). */
    int inFlight() {
        synchronized (queue) {
            return inFlightCount;
        }
    }

    /**
     * How many publishes may be unconfirmed now. On MQTT 5, right after a reconnect, one: a publish that
     * meets "no matching subscribers" (a consumer not subscribed again yet) is sent again after 200 ms,
     * and nothing behind it may overtake it meanwhile (publish order, issue 12.2).
     */
    private int window() {
        long r = reconnectedAt;
        if (cfg.version() == MqttConfig.Version.V5 && r != Long.MIN_VALUE
                && System.nanoTime() - r < RESUBSCRIBE_GRACE_NANOS) {
            return 1;
        }
        return cfg.maxInFlight();
    }

    /** Puts a publish back in its place (its connection dropped, or it is to be sent again). */
    private void requeue(Queued q) {
        synchronized (queue) {
            if (q.inFlight) {
                q.inFlight = false;
                inFlightCount--;
            }
            if (!q.result.isDone()) {
                queue.add(q);
            }
        }
        pump();
    }

    /** Sends queued publishes in order while there is a connection and room; one thread at a time. */
    private void pump() {
        if (pumping.getAndIncrement() != 0) {
            return; // the pumping thread goes round again
        }
        int missed = 1;
        do {
            while (true) {
                Queued q;
                Wire w;
                synchronized (queue) {
                    CompletableFuture<Wire> r = ready;
                    if (closed) {
                        q = queue.poll();
                        if (q == null) {
                            break;
                        }
                        w = null;
                    } else {
                        if (!r.isDone() || r.isCompletedExceptionally() || inFlightCount >= window()
                                || (holdUntil != Long.MIN_VALUE && System.nanoTime() - holdUntil < 0)) {
                            break;
                        }
                        q = queue.poll();
                        if (q == null) {
                            break;
                        }
                        if (q.result.isDone()) {
                            q.sent.complete(null);
                            continue;
                        }
                        w = r.join();
                        q.inFlight = true;
                        inFlightCount++;
                    }
                }
                if (w == null) {
                    q.result.completeExceptionally(new PublishException("MQTT transport is closed; cannot publish to "
                            + q.topic));
                    q.sent.complete(null);
                    continue;
                }
                q.sent.complete(null);
                attempt(q, w);
            }
            missed = pumping.addAndGet(-missed);
        } while (missed != 0);
    }

    private void attempt(Queued q, Wire w) {
        long ep = epoch;
        CompletableFuture<Wire.Outcome> f;
        try {
            f = q.raw ? w.publishRaw(q.topic, q.body, cfg.qos(), q.retain)
                    : w.publish(q.topic, q.headers, q.body, cfg.qos(), q.responseTopic, q.correlation);
        } catch (RuntimeException e) {
            q.result.completeExceptionally(new PublishException("the MQTT client refused the message for " + q.topic
                    + ": " + e.getMessage(), e));
            return;
        }
        // if this connection dies, the HiveMQ client keeps the publish for a reconnect that never comes
        // (Courier builds a new client): send it again on the next connection instead, in its place
        Attempt at = new Attempt(w, () -> requeue(q));
        attempts.add(at);
        if (wire != w || !w.isConnected()) {
            resendLater(at);
        }
        f.whenComplete((o, pe) -> {
            attempts.remove(at);
            if (q.result.isDone() || !at.settle()) {
                return; // timed out meanwhile, or already queued again after the connection dropped
            }
            if (pe == null) {
                if (o == Wire.Outcome.NO_SUBSCRIBERS && reconnectedAt != Long.MIN_VALUE
                        && System.nanoTime() - reconnectedAt < RESUBSCRIBE_GRACE_NANOS
                        && q.deadline - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(200)) {
                    later(() -> requeue(q), 200);
                    return;
                }
                q.result.complete(o);
                return;
            }
            Throwable c = unwrap(pe);
            if (wire != w || epoch != ep || !w.isConnected()) {
                requeue(q); // the connection dropped before the PUBACK: send again on the next one, in order
            } else {
                q.result.completeExceptionally(new PublishException("broker did not accept the message for " + q.topic
                        + ": " + c.getMessage(), c));
            }
        });
    }

    private void expire() {
        long now = System.nanoTime();
        for (Map.Entry<CompletableFuture<Wire.Outcome>, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (now - p.deadline() > 0) {
                e.getKey().completeExceptionally(new PublishTimeoutException("publish to " + p.topic()
                        + " not confirmed within the publish timeout of " + p.timeout()
                        + (isConnected() ? "" : " (broker unreachable)")));
            }
        }
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** Waits up to {@code bound} for queued and in-flight publishes to be confirmed (or to fail). */
    void drain(Duration bound) {
        java.util.List<CompletableFuture<Wire.Outcome>> open = new java.util.ArrayList<>(pending.keySet());
        try {
            CompletableFuture.allOf(open.toArray(new CompletableFuture[0])).handle((x, e) -> null)
                    .get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("MQTT client '{}': {} publish(es) not confirmed within {} of closing", clientId,
                    pending.size(), bound);
        }
    }

    /** Stops reconnecting and disconnects; {@code endSession} makes the broker drop the session. */
    void close(boolean endSession) {
        Wire w;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            w = wire;
            ready.completeExceptionally(new IllegalStateException("MQTT connection '" + clientId + "' is closed"));
        }
        pump(); // fails what still waits
        sweep.cancel(false);
        if (w != null) {
            try {
                w.disconnect(endSession).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("MQTT client '{}' did not disconnect cleanly: {}", clientId, e.toString());
            }
        }
    }
}
