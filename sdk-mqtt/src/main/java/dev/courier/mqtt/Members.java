package dev.courier.mqtt;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Hands over the sessions of members that left. MQTT brokers do not give a closed member's share of
 * a shared group back to the group (Mosquitto keeps routing a share to an offline persistent session
 * and drops what a session held when it ends), so Courier moves it:
 * <ul>
 *   <li>A member session (one per subscription) that closed leaves a retained record
 *       {@code <prefix>/_courier/member/<group>/<name levels>/<client id>} = {@code closed}. A live
 *       member of the same group and name claims it (a retained {@code adopting} record; the last
 *       claim the broker took wins), connects as that client id, unsubscribes its filters, publishes a
 *       fence to itself (everything queued before it has arrived when it comes), republishes each
 *       message to the group's direct topic, acknowledges each only after that copy's PUBACK, ends the
 *       session and clears the record.</li>
 *   <li>An instance's retry session leaves {@code <prefix>/_courier/members/<service>/<client id>}
 *       = {@code closed}; a live instance of the service moves its delayed redeliveries to the direct
 *       topics of their groups (at once: the delay is not kept).</li>
 * </ul>
 * Records are checked before anything is taken over (hostile input, issue 11.4): the payload must be
 * Courier's; the client id must be one this kind of record can name (a member session of exactly that
 * group and name, or a retry session of that service): never the dead-letter session, never a session
 * of this transport; a live owner that sees a record naming itself voids it; a take-over that meets
 * a message it cannot move (a foreign topic) acknowledges nothing it did not move and keeps the
 * session. A crashed instance leaves no record: its share waits for its return or its session expiry.
 * Internal.
 */
final class Members {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final long ADOPT_DELAY_MS = 500;
    private static final long CLAIM_SETTLE_MS = 300;
    /** A claim older than this is taken as abandoned (its adopter died): the record can be claimed again. */
    private static final long CLAIM_EXPIRY_MS = 120_000;
    static final String CLOSED = "closed";
    private static final String ADOPTING = "adopting ";

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;
    private final String service;
    private final Set<String> adopting = ConcurrentHashMap.newKeySet();
    /** The latest payload seen per record topic (claims are decided on it). */
    private final Map<String, String> latest = new ConcurrentHashMap<>();
    private final Pattern retryId;
    /** The id of a main session of this service: what records of versions before the member sessions named. */
    private final Pattern legacyId;
    /** Record topics already warned about: a hostile or invalid record is reported once, not on every sight. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    /** Record topics this transport has claimed and is taking over now, with the client of each take-over. */
    private final Map<String, Wire> inProgress = new ConcurrentHashMap<>();
    private volatile boolean closing;
    private final TakeOver takeOver;

    Members(MqttTransport transport, MqttConfig cfg, Topics topics, String service) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
        this.service = service;
        this.takeOver = new TakeOver(transport, cfg, topics);
        this.retryId = Pattern.compile(Pattern.quote(cfg.clientIdPrefix() + ":" + service + ":") + "[^:/+#]+:retry");
        this.legacyId = Pattern.compile(Pattern.quote(cfg.clientIdPrefix() + ":" + service + ":") + "[^:/+#]+");
    }

    /** Clears this instance's own retry record (it is back) and starts watching the service's records. */
    void start() {
        try {
            transport.publisher().publishRaw(topics.member(service, transport.clientId() + ":retry"), new byte[0], true)
                    .get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new dev.courier.CourierException("could not clear the hand-over record of '" + transport.clientId()
                    + ":retry': " + (e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e), e);
        }
        transport.mainConnection().subscribe(topics.membersFilter(service), cfg.connectTimeout());
    }

    /** Leaves the record saying this instance's retry session closed, so another instance takes it over. */
    void leave(boolean withRetry) {
        if (!withRetry) {
            return;
        }
        try {
            transport.publisher().publishRaw(topics.member(service, transport.clientId() + ":retry"), MqttTransport.CLOSED, true)
                    .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("could not leave the closed record for '{}': {}", transport.clientId(), e.toString());
        }
    }

    static String text(byte[] payload) {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** Whether a record's payload is one Courier writes, and whether it is up for take-over now. */
    private static boolean claimable(String payload) {
        if (payload.equals(CLOSED)) {
            return true;
        }
        if (!payload.startsWith(ADOPTING)) {
            return false;
        }
        String[] p = payload.split(" ");
        try {
            return p.length == 3 && System.currentTimeMillis() - Long.parseLong(p[2]) > CLAIM_EXPIRY_MS;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** Logs an invalid or hostile record at WARN the first time this transport sees it, at DEBUG after. */
    private void warnOnce(String topic, String message, Object... args) {
        if (warned.add(topic)) {
            log.warn(message, args);
        } else {
            log.debug(message, args);
        }
    }

    /** A retry-session record arrived (retained on subscribe, or live). */
    void onRecord(String clientId, byte[] payload) {
        String topic = topics.member(service, clientId);
        String p = text(payload);
        latest.put(topic, p);
        if (payload.length == 0 || !claimable(p) || transport.isClosing()) {
            return; // closing: the record is our own, just left for the others
        }
        if (transport.ownsLive(clientId)) {
            void_(topic, clientId);
            return;
        }
        if (!retryId.matcher(clientId).matches()) {
            if (legacyId.matcher(clientId).matches() && p.equals(CLOSED)) {
                // a main session's record (versions before the member sessions): main sessions end when
                // they close, so there is nothing to claim, now or ever; clearing it harms nobody
                log.debug("cleared the hand-over record {} an earlier version left for main session '{}'", topic,
                        clientId);
                transport.publisher().publishRaw(topic, new byte[0], true);
                return;
            }
            warnOnce(topic, "ignored a hand-over record for '{}' under {}: not a retry session of service '{}'",
                    clientId, topic, service);
            return;
        }
        later(topic, clientId, () -> transport.subscriptions().retryFilters(), m -> {
            Topics.Route r = topics.route(m.topic());
            return r.kind() == Topics.Kind.RETRY ? transport.publisher().toDirect(r.service(), r.name(), m.headers(), m.body()) : null;
        });
    }

    /** A member-session record arrived for {@code share}'s subscriptions of {@code name}. */
    void onMemberRecord(String share, String name, String clientId, byte[] payload) {
        String topic;
        try {
            topic = topics.memberRecord(share, name, clientId);
        } catch (dev.courier.ConfigurationException e) {
            return;
        }
        String p = text(payload);
        latest.put(topic, p);
        if (payload.length == 0 || !claimable(p) || transport.isClosing()) {
            return; // closing: the record is our own, just left for the others
        }
        if (transport.ownsLive(clientId)) {
            void_(topic, clientId);
            return;
        }
        String prefix = cfg.clientIdPrefix() + ":";
        if (!clientId.startsWith(prefix) || !Pattern.matches(".*:" + Pattern.quote(share + ":" + name) + ":[0-9]+",
                clientId) || clientId.equals(DeadLetterStore.clientId(cfg, share))) {
            warnOnce(topic, "ignored a hand-over record for '{}' under {}: not a member session of group '{}' for {}",
                    clientId, topic, share, name);
            return;
        }
        if (transport.subscriptions().live(share, name) == null) {
            return; // not a member of that group: another one takes it over, or the next one when it subscribes
        }
        later(topic, clientId, () -> List.of(topics.filter(addressOf(share, name), share),
                topics.directFilter(share, name)), m -> {
            Topics.Route r = topics.route(m.topic());
            boolean ours = (r.kind() == Topics.Kind.MESSAGE || r.kind() == Topics.Kind.DIRECT) && r.name().equals(name);
            return ours ? transport.publisher().toDirect(share, name, m.headers(), m.body()) : null;
        });
    }

    private static dev.courier.spi.Address addressOf(String share, String name) {
        return share.equals(Topics.COMMAND_GROUP) ? dev.courier.spi.Address.command(name) : dev.courier.spi.Address.event(name);
    }

    /** A record names one of this transport's live sessions: it is void (hostile, or left over). */
    private void void_(String topic, String clientId) {
        warnOnce(topic, "a hand-over record names live session '{}' ({}); voiding it", clientId, topic);
        transport.publisher().publishRaw(topic, new byte[0], true);
    }

    private void later(String topic, String clientId, java.util.function.Supplier<List<String>> filters,
                       Function<Wire.Incoming, CompletableFuture<Void>> mover) {
        if (!adopting.add(clientId)) {
            return;
        }
        long delay = ADOPT_DELAY_MS + ThreadLocalRandom.current().nextLong(ADOPT_DELAY_MS);
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, transport::runTask).execute(() -> {
            boolean claimed = false;
            try {
                if (!closing && claim(topic)) {
                    claimed = true;
                    takeOver.run(topic, clientId, filters.get(), mover, inProgress, () -> closing);
                    claimed = false;
                }
            } catch (Exception e) {
                log.warn("could not take over the session of closed member '{}': {}", clientId, e.toString());
            } finally {
                if (claimed && inProgress.remove(topic) != null) {
                    release(topic); // failed half-way: the record is up for take-over again at once
                }
                adopting.remove(clientId);
            }
        });
    }

    /** Claims a record with a retained {@code adopting} record; true when ours is the one the broker kept. */
    private boolean claim(String topic) throws Exception {
        String current = latest.getOrDefault(topic, "");
        if (!claimable(current)) {
            return false;
        }
        String mine = ADOPTING + UUID.randomUUID() + " " + System.currentTimeMillis();
        transport.publisher().publishRaw(topic, mine.getBytes(StandardCharsets.UTF_8), true).get(5, TimeUnit.SECONDS);
        long deadline = System.currentTimeMillis() + 5_000;
        while (!mine.equals(latest.get(topic)) && System.currentTimeMillis() < deadline) {
            if (latest.getOrDefault(topic, "").startsWith(ADOPTING) && !mine.equals(latest.get(topic))) {
                break;
            }
            Thread.sleep(10); // polling the record map our own main connection fills; bounded
        }
        Thread.sleep(CLAIM_SETTLE_MS); // a concurrent claim published just after ours arrives meanwhile
        return mine.equals(latest.get(topic));
    }

    /** Puts a record this transport claimed back to {@code closed}, so another member takes it over. */
    private CompletableFuture<?> release(String topic) {
        try {
            return transport.publisher().publishRaw(topic, MqttTransport.CLOSED, true);
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(null);
        }
    }

    /**
     * The transport is closing: stops starting take-overs, disconnects those in progress (their sessions
     * keep whatever was not moved yet) and puts their records back to {@code closed}. Bounded.
     */
    void close() {
        closing = true;
        List<CompletableFuture<?>> fs = new java.util.ArrayList<>();
        for (String topic : List.copyOf(inProgress.keySet())) {
            Wire w = inProgress.remove(topic);
            if (w != null) {
                w.disconnect(false);
                fs.add(release(topic));
            }
        }
        try {
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("could not put every claimed hand-over record back: {}", e.toString());
        }
    }
}
