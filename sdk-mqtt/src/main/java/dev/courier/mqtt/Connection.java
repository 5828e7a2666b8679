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
import java.util.concurrent.Semaphore;
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
    private static final long MIN_BACKOFF_MS = 100;
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
            scheduler.schedule(at.resend, 50, TimeUnit.MILLISECONDS);
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
    private final Semaphore inFlight;
    private final Object lock = new Object();
    private volatile Wire wire;
    /** The wire whose connection is up; only its loss starts a reconnect (a failed attempt retries itself). */
    private Wire connectedWire;
    private volatile long epoch;
    private volatile CompletableFuture<Wire> ready = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile Wire.Session session;
    private long backoff = MIN_BACKOFF_MS;

    Connection(MqttConfig cfg, String clientId, Duration expiry, Consumer<Received> handler, Executor callbacks,
               Executor completions, ScheduledExecutorService scheduler) {
        this.completions = completions;
        this.cfg = cfg;
        this.clientId = clientId;
        this.expiry = expiry;
        this.handler = handler;
        this.callbacks = callbacks;
        this.scheduler = scheduler;
        this.inFlight = new Semaphore(cfg.maxInFlight());
        scheduler.scheduleWithFixedDelay(this::expire, 250, 250, TimeUnit.MILLISECONDS);
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
                }
                synchronized (lock) {
                    if (wire == w && !closed) {
                        backoff = MIN_BACKOFF_MS;
                        connectedWire = w;
                        ready.complete(w);
                    }
                }
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
            for (Attempt at : attempts) {
                if (at.wire == w) {
                    resendLater(at);
                }
            }
            if (ready.isDone()) {
                ready = new CompletableFuture<>();
            }
            log.warn("MQTT client '{}' lost its connection to {}:{}; reconnecting", clientId, cfg.host(), cfg.port());
            scheduleReconnect();
        }
    }

    private void scheduleReconnect() {
        long delay = backoff;
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
        scheduler.schedule(() -> {
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
        }, delay, TimeUnit.MILLISECONDS);
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
     * Publishes within {@code timeout}: waits for room and a connection, and sends again on the next
     * connection if this one drops before the PUBACK. Completes on the client's network thread: callers
     * hand off before running anything that may block.
     */
    CompletableFuture<Wire.Outcome> publish(String topic, Map<String, String> headers, byte[] body, boolean raw,
                                            boolean retain, String responseTopic, byte[] correlation, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Wire.Outcome> result = new CompletableFuture<>();
        try {
            if (!inFlight.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return CompletableFuture.failedFuture(new PublishTimeoutException("no room to publish to " + topic
                        + ": " + cfg.maxInFlight() + " publishes in flight for the publish timeout of " + timeout));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new PublishException("interrupted while publishing to " + topic, e));
        }
        pending.put(result, new Pending(deadline, topic, timeout));
        result.whenComplete((x, e) -> {
            pending.remove(result);
            inFlight.release();
        });
        send(result, topic, headers, body, raw, retain, responseTopic, correlation, deadline, timeout);
        return result;
    }

    private void send(CompletableFuture<Wire.Outcome> result, String topic, Map<String, String> headers, byte[] body,
                      boolean raw, boolean retain, String responseTopic, byte[] correlation, long deadline,
                      Duration timeout) {
        if (closed) {
            result.completeExceptionally(new PublishException("MQTT transport is closed; cannot publish to " + topic));
            return;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            result.completeExceptionally(new PublishTimeoutException("publish to " + topic + " not confirmed within"
                    + " the publish timeout of " + timeout + (isConnected() ? "" : " (broker unreachable)")));
            return;
        }
        CompletableFuture<Wire> r = ready;
        if (r.isDone() && !r.isCompletedExceptionally()) {
            attempt(result, r.join(), topic, headers, body, raw, retain, responseTopic, correlation, deadline, timeout);
            return;
        }
        r.whenComplete((w, e) -> {
            if (result.isDone()) {
                return; // timed out meanwhile
            }
            if (e != null) {
                if (!closed) {
                    scheduler.schedule(() -> send(result, topic, headers, body, raw, retain, responseTopic, correlation,
                            deadline, timeout), 50, TimeUnit.MILLISECONDS);
                    return;
                }
                send(result, topic, headers, body, raw, retain, responseTopic, correlation, deadline, timeout);
                return;
            }
            attempt(result, w, topic, headers, body, raw, retain, responseTopic, correlation, deadline, timeout);
        });
    }

    private void attempt(CompletableFuture<Wire.Outcome> result, Wire w, String topic, Map<String, String> headers,
                         byte[] body, boolean raw, boolean retain, String responseTopic, byte[] correlation,
                         long deadline, Duration timeout) {
        {
            long ep = epoch;
            CompletableFuture<Wire.Outcome> f = raw ? w.publishRaw(topic, body, cfg.qos(), retain)
                    : w.publish(topic, headers, body, cfg.qos(), responseTopic, correlation);
            // if this connection dies, the HiveMQ client keeps the publish for a reconnect that never comes
            // (Courier builds a new client): send it again on the next connection instead
            Attempt at = new Attempt(w, () -> send(result, topic, headers, body, raw, retain, responseTopic,
                    correlation, deadline, timeout));
            attempts.add(at);
            if (wire != w || !w.isConnected()) {
                resendLater(at);
            }
            f.whenComplete((o, pe) -> {
                attempts.remove(at);
                if (result.isDone() || !at.settle()) {
                    return; // timed out meanwhile, or already sent again after the connection dropped
                }
                if (pe == null) {
                    if (o == Wire.Outcome.NO_SUBSCRIBERS && reconnectedAt != Long.MIN_VALUE
                            && System.nanoTime() - reconnectedAt < RESUBSCRIBE_GRACE_NANOS
                            && deadline - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(200)) {
                        scheduler.schedule(() -> send(result, topic, headers, body, raw, retain, responseTopic,
                                correlation, deadline, timeout), 200, TimeUnit.MILLISECONDS);
                        return;
                    }
                    result.complete(o);
                    return;
                }
                Throwable c = pe instanceof CompletionException && pe.getCause() != null ? pe.getCause() : pe;
                if (wire != w || epoch != ep || !w.isConnected()) {
                    // the connection dropped before the PUBACK: send again on the next one
                    scheduler.schedule(() -> send(result, topic, headers, body, raw, retain, responseTopic, correlation,
                            deadline, timeout), 50, TimeUnit.MILLISECONDS);
                } else {
                    result.completeExceptionally(new PublishException("broker did not accept the message for " + topic
                            + ": " + c.getMessage(), c));
                }
            });
        }
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

    /** Waits up to {@code bound} for in-flight publishes to be confirmed. */
    void drain(Duration bound) {
        try {
            if (inFlight.tryAcquire(cfg.maxInFlight(), bound.toMillis(), TimeUnit.MILLISECONDS)) {
                inFlight.release(cfg.maxInFlight());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
        if (w != null) {
            try {
                w.disconnect(endSession).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("MQTT client '{}' did not disconnect cleanly: {}", clientId, e.toString());
            }
        }
    }
}
