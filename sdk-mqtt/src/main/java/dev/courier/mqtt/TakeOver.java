package dev.courier.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/** Takes over the session of a member that left (see {@link Members}): the moving itself. Internal. */
final class TakeOver {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final long FENCE_TIMEOUT_MS = 60_000;

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;

    TakeOver(MqttTransport transport, MqttConfig cfg, Topics topics) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
    }

    /**
     * Connects as {@code clientId} (a closed member's or retry session), leaves its filters, publishes
     * a fence to it, moves every message it held with {@code mover} (acknowledging each after its copy's
     * PUBACK), then ends the session and clears the record {@code topic}. A message the mover cannot
     * move (a foreign topic) is never acknowledged: the session is kept instead of ended.
     */
    void run(String topic, String clientId, List<String> filters, Function<Wire.Incoming, CompletableFuture<Void>> mover,
             Map<String, Wire> inProgress, BooleanSupplier closing) throws Exception {
        String nonce = UUID.randomUUID().toString();
        String fenceTopic = topics.fence(clientId);
        CompletableFuture<Void> fence = new CompletableFuture<>();
        List<CompletableFuture<Void>> moved = new CopyOnWriteArrayList<>();
        AtomicBoolean foreign = new AtomicBoolean();
        Wire.Dialed dialed = Wire.dial(cfg, clientId, m -> {
            Topics.Route route = topics.route(m.topic());
            if (route.kind() == Topics.Kind.FENCE) {
                m.ack().run();
                if (Members.text(m.raw()).equals(nonce)) {
                    fence.complete(null);
                }
                return;
            }
            CompletableFuture<Void> f = mover.apply(m);
            if (f == null) {
                foreign.set(true); // never acknowledged: we did not move it
                log.warn("session '{}' holds a message on {} that a take-over cannot move; it stays there", clientId,
                        m.topic());
                return;
            }
            moved.add(f.thenRun(m.ack()));
        }, Threads.orInline(transport.pools().aux), x -> { }, false, cfg.sessionExpiry(), Connection.RECEIVE_MAXIMUM);
        Wire w = dialed.wire();
        inProgress.put(topic, w);
        boolean ended = false;
        try {
            if (closing.getAsBoolean()) {
                throw new java.io.IOException("the transport is closing");
            }
            Wire.Session s = dialed.session();
            int count = 0;
            if (s.present()) {
                // leave the session's groups first, so nothing new is routed to the session we end
                for (String f : filters) {
                    try {
                        w.unsubscribe(f).get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        log.debug("could not unsubscribe {} from {}: {}", clientId, f, e.toString());
                    }
                }
                w.subscribe(fenceTopic, cfg.qos()).get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                transport.publisher().publishRaw(fenceTopic, nonce.getBytes(StandardCharsets.UTF_8), false)
                        .get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                fence.get(FENCE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                CompletableFuture.allOf(moved.toArray(new CompletableFuture[0])).get(FENCE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                count = moved.size();
            }
            if (foreign.get()) {
                inProgress.remove(topic);
                w.disconnect(false).get(5, TimeUnit.SECONDS);
                transport.publisher().publishRaw(topic, new byte[0], true).get(5, TimeUnit.SECONDS);
                return;
            }
            if (inProgress.remove(topic) == null) {
                throw new java.io.IOException("the transport closed during the take-over");
            }
            w.disconnect(true).get(5, TimeUnit.SECONDS);
            ended = true;
            transport.publisher().publishRaw(topic, new byte[0], true).get(5, TimeUnit.SECONDS);
            if (count > 0) {
                log.info("took over {} message(s) from the session of closed member '{}'", count, clientId);
            }
        } finally {
            if (!ended && w.isConnected()) {
                w.disconnect(false);
            }
        }
    }
}
