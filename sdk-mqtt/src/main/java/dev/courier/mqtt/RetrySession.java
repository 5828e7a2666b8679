package dev.courier.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The delayed redelivery of MQTT, which has none: a retry is published to the group's retry topic
 * with its due time, and this instance's persistent retry session ({@code <client id>:retry},
 * created with the first subscription) holds each until due, then hands it to the live
 * subscription, or gives it back to the group's direct topic when the subscription is gone. On
 * close the session ends when it holds nothing (leaving neither a session nor a record behind),
 * otherwise it is handed over like a member session. Internal.
 */
final class RetrySession {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;
    private final String clientId;
    private volatile Connection connection;
    /** Retry messages the retry session delivered and this transport has not acknowledged yet. */
    private final AtomicInteger held = new AtomicInteger();
    /** The retry filters the retry session subscribed to. */
    private final Set<String> subscribed = ConcurrentHashMap.newKeySet();
    /** The fence the closing transport publishes to its retry session (nonce, arrival). */
    private volatile String fenceNonce;
    private final CompletableFuture<Void> fence = new CompletableFuture<>();

    RetrySession(MqttTransport transport, MqttConfig cfg, Topics topics, String clientId) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
        this.clientId = clientId;
    }

    String clientId() {
        return clientId;
    }

    /** Connects the retry session (the first time) and subscribes it to {@code sub}'s retry topic. */
    void subscribe(Subscription sub, Duration startTimeout) {
        Connection c;
        synchronized (this) {
            if (connection == null) {
                Threads.Pools pools = transport.pools();
                c = new Connection(cfg, clientId, cfg.sessionExpiry(), r -> onRetry(connection, r),
                        Threads.orInline(pools.retryIncoming), pools.scheduler, null);
                connection = c;
                c.start(startTimeout);
            }
            c = connection;
        }
        String f = topics.retryFilter(sub.share, sub.address.name());
        c.subscribe(f, cfg.connectTimeout());
        subscribed.add(f);
    }

    /** A message on the retry session: held until due, then delivered to the live subscription or given back. */
    private void onRetry(Connection from, Connection.Received received) {
        Wire.Incoming in = received.message();
        Topics.Route route = topics.route(in.topic());
        if (route.kind() == Topics.Kind.FENCE) {
            in.ack().run();
            String nonce = fenceNonce;
            if (nonce != null && nonce.equals(new String(in.raw(), StandardCharsets.UTF_8))) {
                fence.complete(null);
            }
            return;
        }
        if (route.kind() != Topics.Kind.RETRY) {
            log.debug("'{}' acknowledged a message on {} that is not a retry", clientId, in.topic());
            in.ack().run();
            return;
        }
        // counted until acknowledged: a retry session that holds one is handed over, not ended
        held.incrementAndGet();
        AtomicBoolean counted = new AtomicBoolean(true);
        Wire.Incoming m = new Wire.Incoming(in.topic(), in.headers(), in.body(), in.raw(), () -> {
            if (counted.compareAndSet(true, false)) {
                held.decrementAndGet();
            }
            in.ack().run();
        }, in.retain());
        Connection.Received r = new Connection.Received(m, received.epoch());
        long wait = due(m.headers()) - System.currentTimeMillis();
        if (wait <= 0) {
            due(from, r, route);
        } else {
            try {
                transport.pools().scheduler.schedule(() -> due(from, r, route), wait, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closing: left unacknowledged in the retry session, which is handed over
            }
        }
    }

    private void due(Connection from, Connection.Received r, Topics.Route route) {
        Wire.Incoming m = r.message();
        Subscription sub = transport.subscriptions().live(route.service(), route.name());
        if (sub == null || from.isClosed()) {
            if (from.isClosed() || transport.isClosing()) {
                return; // stays in the retry session, which is handed over
            }
            // its subscription is gone: back to the group now (a shared session must not hold it)
            transport.publisher().toDirect(route.service(), route.name(), m.headers(), m.body()).whenComplete((x, e) -> {
                if (e == null && from.epoch() == r.epoch()) {
                    m.ack().run();
                }
            });
            return;
        }
        Map<String, String> h = new HashMap<>(m.headers());
        h.remove(Wire.DUE);
        sub.offer(new MqttDelivery(transport, sub, from, r, h, true));
    }

    private static long due(Map<String, String> h) {
        try {
            return Long.parseLong(h.getOrDefault(Wire.DUE, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Closes: ends the session when it holds nothing — unsubscribes its retry filters (nothing new is
     * routed to it), waits for a fence published after that (everything queued before has arrived by
     * then) and ends it if no retry is held. Otherwise disconnects it without ending it.
     *
     * @return true when the session was left on the broker (to be handed over)
     */
    boolean close() {
        Connection r;
        synchronized (this) {
            r = connection;
        }
        if (r == null) {
            return false;
        }
        if (endIfEmpty(r)) {
            return false;
        }
        r.close(false);
        return true;
    }

    private boolean endIfEmpty(Connection r) {
        if (!r.isConnected() || held.get() > 0) {
            return false;
        }
        try {
            long bound = Math.min(5_000, cfg.connectTimeout().toMillis());
            for (String f : subscribed) {
                r.unsubscribe(f).get(bound, TimeUnit.MILLISECONDS);
            }
            String nonce = UUID.randomUUID().toString();
            fenceNonce = nonce;
            String fenceTopic = topics.fence(clientId);
            r.subscribe(fenceTopic, Duration.ofMillis(bound));
            transport.publisher().publishRaw(fenceTopic, nonce.getBytes(StandardCharsets.UTF_8), false)
                    .get(bound, TimeUnit.MILLISECONDS);
            fence.get(bound, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("retry session '{}' not ended (handed over instead): {}", clientId, e.toString());
            return false;
        }
        if (held.get() > 0) {
            return false;
        }
        r.close(true);
        log.debug("retry session '{}' held nothing: ended", clientId);
        return true;
    }
}
