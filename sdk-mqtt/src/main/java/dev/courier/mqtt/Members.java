package dev.courier.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Hands over the sessions of instances that closed gracefully. A closing instance leaves a retained
 * record {@code <prefix>/_courier/members/<service>/<client id>} = {@code closed}; a running instance
 * of the same service that sees one connects as that client id, republishes every message the session
 * holds to the service's direct topic, acknowledges each after its PUBACK, waits for a fence it
 * published itself (everything queued before it has arrived), ends the session and clears the record.
 * A crashed instance leaves no record: its share waits for its return or its session expiry. Internal.
 */
final class Members {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final long ADOPT_DELAY_MS = 1_000;
    private static final long FENCE_TIMEOUT_MS = 60_000;

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;
    private final String service;
    private final Set<String> adopting = ConcurrentHashMap.newKeySet();

    Members(MqttTransport transport, MqttConfig cfg, Topics topics, String service) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
        this.service = service;
    }

    private Set<String> own() {
        return Set.of(transport.clientId(), transport.clientId() + ":retry");
    }

    /** Clears this instance's own records (it is back) and starts watching the service's members. */
    void start() {
        for (String id : own()) {
            transport.publishRaw(topics.member(service, id), new byte[0], true).join();
        }
        transport.mainConnection().subscribe(topics.membersFilter(service), cfg.connectTimeout());
    }

    /** Leaves records saying this instance closed, so another instance takes over its sessions. */
    void leave(boolean withRetry) {
        List<CompletableFuture<?>> fs = new ArrayList<>();
        fs.add(transport.publishRaw(topics.member(service, transport.clientId()), MqttTransport.CLOSED, true));
        if (withRetry) {
            fs.add(transport.publishRaw(topics.member(service, transport.clientId() + ":retry"), MqttTransport.CLOSED, true));
        }
        try {
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("could not leave the closed record for '{}': {}", transport.clientId(), e.toString());
        }
    }

    /** A member record arrived (retained on subscribe, or live). */
    void onRecord(String clientId, byte[] payload) {
        if (payload.length == 0 || own().contains(clientId) || !adopting.add(clientId)) {
            return;
        }
        CompletableFuture.delayedExecutor(ADOPT_DELAY_MS, TimeUnit.MILLISECONDS, transport.tasks())
                .execute(() -> {
                    try {
                        adopt(clientId);
                    } catch (Exception e) {
                        log.warn("could not take over the session of closed instance '{}': {}", clientId, e.toString());
                    } finally {
                        adopting.remove(clientId);
                    }
                });
    }

    private void adopt(String clientId) throws Exception {
        String nonce = UUID.randomUUID().toString();
        String fenceTopic = topics.fence(clientId);
        CompletableFuture<Void> fence = new CompletableFuture<>();
        List<CompletableFuture<Void>> moved = new CopyOnWriteList();
        ExecutorService exec = transport.aux();
        Wire w = Wire.open(cfg, clientId, m -> {
            Topics.Route route = topics.route(m.topic());
            switch (route.kind()) {
                case MESSAGE:
                case DIRECT:
                case RETRY:
                    moved.add(transport.adoptMessage(route.name(), m.headers(), m.body()).thenRun(m.ack()));
                    break;
                case FENCE:
                    m.ack().run();
                    if (new String(m.raw(), java.nio.charset.StandardCharsets.UTF_8).equals(nonce)) {
                        fence.complete(null);
                    }
                    break;
                default:
                    m.ack().run(); // replies to a gone instance, member records
            }
        }, exec, () -> { });
        try {
            Wire.Session s = w.connect(false, cfg.sessionExpiry(), Connection.RECEIVE_MAXIMUM)
                    .get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
            int count = 0;
            if (s.present()) {
                // leave every shared group we know of first, so nothing new is routed to the session we end
                for (String f : transport.groupFilters()) {
                    try {
                        w.unsubscribe(f).get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        log.debug("could not unsubscribe {} from {}: {}", clientId, f, e.toString());
                    }
                }
                w.subscribe(fenceTopic, cfg.qos()).get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                transport.publishRaw(fenceTopic, nonce.getBytes(java.nio.charset.StandardCharsets.UTF_8), false)
                        .get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                fence.get(FENCE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                CompletableFuture.allOf(moved.toArray(new CompletableFuture[0]))
                        .get(FENCE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                count = moved.size();
            }
            w.disconnect(true).get(5, TimeUnit.SECONDS);
            transport.publishRaw(topics.member(service, clientId), new byte[0], true).get(5, TimeUnit.SECONDS);
            if (count > 0) {
                log.info("took over {} message(s) from the session of closed instance '{}'", count, clientId);
            }
        } finally {
            if (w.isConnected()) {
                w.disconnect(false);
            }
        }
    }

    /** A thread-safe list for the futures of moved messages. */
    private static final class CopyOnWriteList extends java.util.concurrent.CopyOnWriteArrayList<CompletableFuture<Void>> {
        private static final long serialVersionUID = 1L;
    }
}
