package dev.courier.mqtt;

import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The subscriptions of one transport and how a message finds its subscription: a member session per
 * event or command subscription ({@code <client id>:<group>:<name>:<generation>}, subscribed to the
 * shared filter and the group's direct topic), replies on the main session. One live subscription
 * per (shared group, name); a closed one can be subscribed again at once (a new generation, a
 * session of its own). Internal.
 */
final class Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);

    private final MqttTransport transport;
    private final MqttConfig cfg;
    private final Topics topics;
    /** Live subscriptions by (shared group, name), and reply subscriptions by reply address. */
    private final Map<String, Subscription> byKey = new ConcurrentHashMap<>();
    private final Map<String, Subscription> byReply = new ConcurrentHashMap<>();
    /** Every subscription not handed over yet (closed ones wait for their outstanding deliveries). */
    private final List<Subscription> all = new CopyOnWriteArrayList<>();
    /** Member-session generations per (shared group, name): a re-subscription gets a session of its own. */
    private final Map<String, AtomicInteger> generations = new ConcurrentHashMap<>();
    /** Every member session client id this transport created, with its record topic (for tests that clean up). */
    private final Map<String, String> memberSessions = new ConcurrentHashMap<>();

    Subscriptions(MqttTransport transport, MqttConfig cfg, Topics topics) {
        this.transport = transport;
        this.cfg = cfg;
        this.topics = topics;
    }

    /** A reply subscription on the main session. */
    Subscription subscribeReplies(Address a, String group, int prefetch, DeliveryCallback callback, Connection main) {
        Subscription sub = new Subscription(transport, a, group, null, topics.filter(a, group), null,
                transport.clientId(), prefetch, callback);
        if (byReply.putIfAbsent(a.name(), sub) != null) {
            throw new CourierException("this transport already has a subscription for " + a);
        }
        all.add(sub);
        try {
            sub.start(main, null);
        } catch (RuntimeException e) {
            byReply.remove(a.name(), sub);
            all.remove(sub);
            throw e;
        }
        return sub;
    }

    /** An event or command subscription with a member session of its own. */
    Subscription subscribe(Address a, String group, int prefetch, DeliveryCallback callback, Duration startTimeout) {
        String share = Topics.share(a, group);
        String key = Subscription.key(share, a.name());
        int gen = generations.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        String id = Topics.level("client id", transport.clientId() + ":" + share + ":" + a.name() + ":" + gen);
        Subscription sub = new Subscription(transport, a, group, share, topics.filter(a, group),
                topics.directFilter(share, a.name()), id, prefetch, callback);
        if (byKey.putIfAbsent(key, sub) != null) {
            throw new CourierException("this transport already has a subscription for " + a.name() + " in group "
                    + share + "; one handler per message name and bus");
        }
        all.add(sub);
        String record = topics.memberRecord(share, a.name(), id);
        memberSessions.put(id, record);
        try {
            // this session is back: a record it left when it last closed is void
            transport.publisher().publishRaw(record, new byte[0], true).get(cfg.connectTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            Threads.Pools pools = transport.pools();
            Connection c = new Connection(cfg, id, cfg.sessionExpiry(), r -> onMember(sub, r),
                    Threads.orInline(sub.thread()), pools.scheduler, null);
            sub.start(c, startTimeout);
            transport.retrySession().subscribe(sub, startTimeout);
            // the group's closed member sessions (retained records) come now, live ones later
            transport.mainConnection().subscribe(topics.memberRecordFilter(share, a.name()), cfg.connectTimeout());
        } catch (Exception e) {
            byKey.remove(key, sub);
            all.remove(sub);
            sub.handOver();
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new CourierException("could not subscribe to " + a + ": " + e, e);
        }
        log.debug("subscribed '{}' to {}", id, sub.filter);
        return sub;
    }

    /** A reply on the main session. */
    void onReply(String name, Connection from, Connection.Received r) {
        Subscription sub = byReply.get(name);
        Wire.Incoming m = r.message();
        if (sub == null) {
            log.debug("'{}' acknowledged a reply for {} nobody waits for", transport.clientId(), name);
            m.ack().run();
        } else {
            sub.offer(new MqttDelivery(transport, sub, from, r, m.headers(), false));
        }
    }

    /** A message on a member session: the group's messages and what was given back to the group. */
    private void onMember(Subscription sub, Connection.Received r) {
        Wire.Incoming m = r.message();
        Topics.Route route = topics.route(m.topic());
        boolean mine = (route.kind() == Topics.Kind.MESSAGE || route.kind() == Topics.Kind.DIRECT)
                && route.name().equals(sub.address.name());
        if (!mine) {
            // not for this subscription (a stray subscription of the session): keep it for the hand-over
            log.warn("member session '{}' got a message on {} it does not handle; left unacknowledged", sub.clientId,
                    m.topic());
            return;
        }
        if (m.retain()) {
            // a retained message the broker replays on (re)subscribing: an event that happened before this
            // member joined, possibly long ago and handled already; never handled again (issue 11.5)
            log.warn("member session '{}' ignored a retained message on {} (id {}): Courier does not handle retained"
                    + " messages; publish events without the retain flag", sub.clientId, m.topic(),
                    m.headers().get(Headers.ID));
            m.ack().run();
            return;
        }
        Map<String, String> h = m.headers();
        if (h.containsKey(Wire.DUE)) {
            h = new HashMap<>(h);
            h.remove(Wire.DUE);
        }
        boolean again = sub.seenBefore(h.get(Headers.ID), r.epoch()) || route.kind() == Topics.Kind.DIRECT;
        sub.offer(new MqttDelivery(transport, sub, sub.connection(), r, h, again));
    }

    /** Forgets a closed subscription, so the same address and group can be subscribed again at once. */
    void forget(Subscription s) {
        if (s.address.kind() == Address.Kind.REPLY) {
            byReply.remove(s.address.name(), s);
        } else {
            byKey.remove(s.key(), s);
        }
    }

    /** A subscription was handed over: no longer this transport's. */
    void handedOver(Subscription s) {
        all.remove(s);
    }

    /** Hands every subscription over (the transport closes); completes when their records are confirmed. */
    CompletableFuture<Void> handOverAll() {
        List<CompletableFuture<?>> records = new ArrayList<>();
        for (Subscription s : all) {
            records.add(s.handOver());
        }
        return CompletableFuture.allOf(records.toArray(new CompletableFuture[0]));
    }

    /** The live subscription of {@code share} for {@code name}, if this transport has one. */
    Subscription live(String share, String name) {
        Subscription s = byKey.get(Subscription.key(share, name));
        return s == null || s.isClosed() ? null : s;
    }

    /** The retry filters of this transport's subscriptions (for taking over a retry session). */
    List<String> retryFilters() {
        List<String> fs = new ArrayList<>();
        for (Subscription s : byKey.values()) {
            fs.add(topics.retryFilter(s.share, s.address.name()));
        }
        return fs;
    }

    /** Whether {@code id} is one of this transport's member sessions that is not handed over. */
    boolean owns(String id) {
        for (Subscription s : all) {
            if (s.clientId.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** Every member session client id created, with its record topic (for tests that clean up). */
    Map<String, String> memberSessions() {
        return memberSessions;
    }
}
