package dev.courier.mqtt;

import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Courier's MQTT transport ({@code mqtt://}, {@code mqtts://}) over the HiveMQ client: MQTT 5 by
 * default, 3.1.1 on request. See docs/transport-mqtt.md for topics, the wire contract and the broker
 * settings it needs.
 *
 * <p>Sessions: a main session (publishes, replies, records; ended on close), a persistent member
 * session per subscription ({@code <prefix>:<service>:<instance>:<group>:<name>:<generation>}, so one
 * subscription's held PUBACKs stall no other and closing it concerns exactly its share), a persistent
 * retry session ({@code …:retry}) and the service's dead-letter session. Events arrive through the
 * shared group {@code $share/<service>/…}, commands through {@code $share/courier-command/…}. Messages
 * are acknowledged only when the bus settles them; a retry or requeue is a republish to the group
 * followed by the acknowledgement. A closed subscription's session (and every session when the
 * transport closes) is handed over to the group's live or next member (see {@link Members}). A publish
 * completes on PUBACK; for commands, replies, dead letters and direct deliveries a PUBACK saying "no
 * matching subscribers" fails it (MQTT 5 only). Publishes keep their order (one FIFO queue); on a
 * thread the transport delivers on, {@code publish} never waits.
 */
public final class MqttTransport implements Transport, dev.courier.spi.DeadLetterBrowsing,
        dev.courier.spi.WireDescription {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    static final byte[] CLOSED = "closed".getBytes(StandardCharsets.UTF_8);

    private final MqttConfig cfg;
    private final Topics topics;
    /** Live subscriptions by (shared group, name), and reply subscriptions by reply address. */
    private final Map<String, Subscription> byKey = new ConcurrentHashMap<>();
    private final Map<String, Subscription> byReply = new ConcurrentHashMap<>();
    /** Every subscription not handed over yet (closed ones wait for their outstanding deliveries). */
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    /** Member-session generations per (shared group, name): a re-subscription gets a session of its own. */
    private final Map<String, AtomicInteger> generations = new ConcurrentHashMap<>();
    /** Every member session client id this transport created, with its record topic (for tests that clean up). */
    private final Map<String, String> memberSessions = new ConcurrentHashMap<>();
    private volatile TransportContext context;
    private volatile String service;
    private volatile String clientId;
    private volatile Connection main;
    private volatile Connection retry;
    private volatile boolean closed;
    /** Retry messages the retry session delivered and this transport has not acknowledged yet. */
    private final AtomicInteger retryHeld = new AtomicInteger();
    /** The retry filters the retry session subscribed to. */
    private final Set<String> retrySubscribed = ConcurrentHashMap.newKeySet();
    /** The fence the closing transport publishes to its retry session (nonce, arrival). */
    private volatile String retryFenceNonce;
    private final CompletableFuture<Void> retryFence = new CompletableFuture<>();
    private ScheduledExecutorService scheduler;
    private ExecutorService completions;
    private ExecutorService retryIncoming;
    private ExecutorService aux;
    private ExecutorService tasks;
    private Members members;
    private DeadLetterStore deadLetters;

    private MqttTransport(MqttConfig cfg) {
        this.cfg = cfg;
        this.topics = new Topics(cfg.topicPrefix());
    }

    /**
     * An unstarted transport with these settings.
     *
     * @param config the settings; never null
     * @return the transport; the bus starts it
     */
    public static MqttTransport create(MqttConfig config) {
        return new MqttTransport(java.util.Objects.requireNonNull(config, "config"));
    }

    /**
     * An unstarted transport from an {@code mqtt://} or {@code mqtts://} URI (see {@link MqttConfig}).
     *
     * @param uri the URI
     * @return the transport; the bus starts it
     * @throws IllegalArgumentException naming every bad part of the URI
     */
    public static MqttTransport create(String uri) {
        return create(MqttConfig.fromUri(URI.create(uri)));
    }

    /**
     * The settings this transport was built with.
     *
     * @return the configuration; never null
     */
    public MqttConfig config() {
        return cfg;
    }

    // ---- lifecycle -----------------------------------------------------------------------------------

    @Override
    public synchronized void start(TransportContext ctx) {
        if (main != null) {
            throw new IllegalStateException("MQTT transport already started");
        }
        this.context = ctx;
        this.service = Topics.level("service name", ctx.service());
        String instance = Topics.level("instance id", cfg.instanceId() != null ? cfg.instanceId() : ctx.instanceId());
        this.clientId = cfg.clientIdPrefix() + ":" + service + ":" + instance;
        String tag = service + "-" + instance;
        scheduler = Executors.newScheduledThreadPool(1, Threads.daemon("courier-mqtt-timer-" + tag));
        // confirmations complete here, in order, never on the client's network thread; one thread is
        // cheaper than a pool hand-off per message, and a blocking user continuation cannot stall the network
        completions = Executors.newSingleThreadExecutor(Threads.daemon("courier-mqtt-io-" + tag));
        retryIncoming = Executors.newSingleThreadExecutor(Threads.daemon("courier-mqtt-retry-" + tag));
        aux = Executors.newSingleThreadExecutor(Threads.daemon("courier-mqtt-aux-" + tag));
        tasks = Executors.newCachedThreadPool(Threads.daemon("courier-mqtt-task-" + tag));
        // null: the main connection's messages are routed on the client's network thread (one hand-off fewer)
        main = new Connection(cfg, clientId, cfg.sessionExpiry(), r -> onIncoming(main, r), null, completions, scheduler);
        Wire.Session s = main.start();
        if (s.maximumPacketSize() < cfg.maxMessageSize()) {
            main.close(false);
            throw new IllegalStateException("MQTT broker " + host() + " accepts packets of at most "
                    + s.maximumPacketSize() + " bytes (CONNACK maximum packet size), less than maxMessageSize="
                    + cfg.maxMessageSize() + "; raise the broker's max_packet_size or lower maxMessageSize");
        }
        try {
            deadLetters = new DeadLetterStore(this, cfg, topics, service);
            deadLetters.ensureSession();
            members = new Members(this, cfg, topics, service);
            members.start();
        } catch (RuntimeException e) {
            main.close(false);
            throw e;
        }
        log.info("MQTT transport connected to {} as '{}' (MQTT {}, session {}, prefix '{}')", host(), clientId,
                cfg.version() == MqttConfig.Version.V5 ? "5" : "3.1.1", s.present() ? "resumed" : "new",
                cfg.topicPrefix());
    }

    /** The retry session (created with the first subscription), subscribed to {@code sub}'s retry topic. */
    private Connection retryConnection(Subscription sub) {
        Connection c;
        synchronized (this) {
            if (retry == null) {
                c = new Connection(cfg, clientId + ":retry", cfg.sessionExpiry(), r -> onRetry(retry, r),
                        Threads.orInline(retryIncoming), completions, scheduler);
                retry = c;
                c.start();
            }
            c = retry;
        }
        String f = topics.retryFilter(sub.share, sub.address.name());
        c.subscribe(f, cfg.connectTimeout());
        retrySubscribed.add(f);
        return c;
    }

    /**
     * Closes: every member session is handed over (disconnected without ending it, so it keeps the
     * group's share and what was unsettled, and a retained record lets the group's live or next member
     * take it over); the retry session likewise; publishes still unconfirmed get up to 10 s; the main
     * session ends. Deliveries not settled by now are stale. Idempotent and bounded.
     */
    @Override
    public void close() {
        Connection m;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            m = main;
        }
        List<CompletableFuture<?>> records = new ArrayList<>();
        for (Subscription s : subscriptions) {
            records.add(s.handOver());
        }
        if (m == null) {
            return;
        }
        try {
            CompletableFuture.allOf(records.toArray(new CompletableFuture[0])).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("not every hand-over record was confirmed within 5 s of closing '{}': {}", clientId, e.toString());
        }
        Connection r;
        synchronized (this) {
            r = retry;
        }
        boolean retryLeft = r != null && !endRetryIfEmpty(r);
        if (r != null && retryLeft) {
            r.close(false);
        }
        if (members != null) {
            members.close();
            if (retryLeft) {
                members.leave(true);
            }
        }
        m.drain(Duration.ofSeconds(10));
        m.close(true);
        scheduler.shutdownNow();
        retryIncoming.shutdown();
        aux.shutdown();
        tasks.shutdown();
        completions.shutdown();
        log.info("MQTT transport '{}' closed; its member sessions stay on the broker for {} for the group to take"
                + " over", clientId, cfg.sessionExpiry());
    }

    /**
     * Ends the retry session when it holds nothing, so a closed bus leaves neither a session nor a
     * record behind: unsubscribes its retry filters (nothing new is routed to it), waits for a fence
     * published after that (everything the broker queued for it before has arrived by then), and ends
     * the session if no retry is held. False (the session is handed over as before) when something is
     * held or the broker does not answer in time. Bounded (about 5 s).
     */
    private boolean endRetryIfEmpty(Connection r) {
        if (!r.isConnected() || retryHeld.get() > 0) {
            return false;
        }
        try {
            long bound = Math.min(5_000, cfg.connectTimeout().toMillis());
            for (String f : retrySubscribed) {
                r.unsubscribe(f).get(bound, TimeUnit.MILLISECONDS);
            }
            String nonce = UUID.randomUUID().toString();
            retryFenceNonce = nonce;
            String fence = topics.fence(clientId + ":retry");
            r.subscribe(fence, Duration.ofMillis(bound));
            publishRaw(fence, nonce.getBytes(StandardCharsets.UTF_8), false).get(bound, TimeUnit.MILLISECONDS);
            retryFence.get(bound, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.debug("retry session of '{}' not ended (handed over instead): {}", clientId, e.toString());
            return false;
        }
        if (retryHeld.get() > 0) {
            return false;
        }
        r.close(true);
        log.debug("retry session '{}:retry' held nothing: ended", clientId);
        return true;
    }

    /**
     * The main connection's publishes (every publish goes there) sent and waiting for their PUBACK,
     * against {@code maxInFlight}; 0 in flight before start and after close. Cheap: for gauges.
     */
    @Override
    public PublishWindow publishWindow() {
        return new PublishWindow() {
            @Override
            public int inFlight() {
                Connection m = main;
                return m == null || m.isClosed() ? 0 : m.inFlight();
            }

            @Override
            public int capacity() {
                return cfg.maxInFlight();
            }
        };
    }

    /** Whether {@link #close()} has begun. */
    boolean isClosing() {
        return closed;
    }

    /** Forgets a closed subscription, so the same address and group can be subscribed again at once. */
    void forget(Subscription s) {
        if (s.address.kind() == Address.Kind.REPLY) {
            byReply.remove(s.address.name(), s);
        } else {
            byKey.remove(s.key(), s);
        }
    }

    /**
     * Leaves the retained record that hands a member session over to the group (after it disconnected);
     * completes when the broker has it (the caller bounds the wait).
     */
    CompletableFuture<?> leaveRecord(Subscription s) {
        subscriptions.remove(s);
        Connection m = main;
        if (m == null || m.isClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        return publishRaw(topics.memberRecord(s.share, s.address.name(), s.clientId), CLOSED, true)
                .whenComplete((x, e) -> {
                    if (e != null) {
                        log.warn("could not leave the hand-over record of member session '{}' ({}); its messages wait"
                                + " for its session to resume or expire", s.clientId, e.toString());
                    }
                });
    }

    /** Runs {@code r} after {@code delay} on a task thread (nothing when the transport has closed). */
    void schedule(Runnable r, Duration delay) {
        try {
            scheduler.schedule(() -> runTask(r), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("not scheduled, the transport is closing: {}", e.toString());
        }
    }

    /** Runs blocking work off the caller's thread (nothing when the transport has closed: close does it). */
    void runTask(Runnable r) {
        try {
            tasks.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("not run, the transport is closing: {}", e.toString());
        }
    }

    // ---- publishing ------------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        if (closed || main == null) {
            return CompletableFuture.failedFuture(new PublishException("MQTT transport is "
                    + (closed ? "closed" : "not started") + "; cannot publish to " + to));
        }
        String topic;
        try {
            topic = topics.publishTopic(to);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new PublishException(e.getMessage(), e));
        }
        String responseTopic = null;
        byte[] correlation = null;
        String replyTo = headers.get(Headers.REPLY_TO);
        if (replyTo != null && to.kind() != Address.Kind.DEAD_LETTER) {
            try {
                responseTopic = topics.reply(replyTo);
            } catch (IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new PublishException(e.getMessage(), e));
            }
            correlation = bytes(headers.get(Headers.ID));
        } else if (to.kind() == Address.Kind.REPLY) {
            correlation = bytes(headers.get(Headers.CAUSATION_ID));
        }
        boolean needsSubscriber = to.kind() != Address.Kind.EVENT || to.group() != null;
        return send(main, topic, headers, body, responseTopic, correlation, needsSubscriber, to.toString());
    }

    private CompletableFuture<Void> send(Connection c, String topic, Map<String, String> headers, byte[] body,
                                         String responseTopic, byte[] correlation, boolean needsSubscriber, String what) {
        int limit = Math.min(cfg.maxMessageSize(), sessionLimit(c));
        long size = estimate(topic, headers, body);
        if (size > limit) {
            return CompletableFuture.failedFuture(new PublishException("message to " + what + " is about " + size
                    + " bytes, more than the limit of " + limit + " bytes (maxMessageSize / broker maximum packet size)"));
        }
        return c.publish(topic, headers, body, false, false, responseTopic, correlation, context.publishTimeout())
                .whenCompleteAsync((o, e) -> { }, Threads.orInline(completions)) // callers' continuations never run on the network thread
                .thenApply(o -> {
                    if (o == Wire.Outcome.NO_SUBSCRIBERS && needsSubscriber) {
                        throw new dev.courier.UnroutableException("unroutable: the broker has no subscriber for " + what + " (topic "
                                + topic + "; PUBACK 0x10 no matching subscribers)");
                    }
                    return null;
                });
    }

    private static int sessionLimit(Connection c) {
        Wire.Session s = c.session();
        return s == null ? Integer.MAX_VALUE : s.maximumPacketSize();
    }

    private static long estimate(String topic, Map<String, String> headers, byte[] body) {
        long n = body.length + topic.length() * 3L + 64;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            n += 8 + e.getKey().length() + e.getValue().length() * 3L;
        }
        return n;
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Brings a message back to the subscription's group: now through the direct topic, or after
     * {@code delay} through the retry topic (read by the retry connection, which holds it until due).
     */
    CompletableFuture<Void> republish(Subscription sub, Map<String, String> headers, byte[] body, Duration delay) {
        Connection m = main;
        if (m == null) {
            return CompletableFuture.failedFuture(new PublishException("MQTT transport not started"));
        }
        String name = sub.address.name();
        if (sub.address.kind() == Address.Kind.REPLY) {
            return send(m, topics.reply(name), headers, body, null, null, true, sub.address.toString());
        }
        if (delay == null || delay.isZero() || delay.isNegative()) {
            return send(m, topics.direct(sub.share, name), headers, body, null, null, true,
                    "direct:" + name + "@" + sub.share);
        }
        Map<String, String> h = new HashMap<>(headers);
        h.put(Wire.DUE, Long.toString(System.currentTimeMillis() + delay.toMillis()));
        return send(m, topics.retry(sub.share, name), h, body, null, null, true, "retry:" + name + "@" + sub.share);
    }

    /** Sends a message back to {@code share}'s members of {@code name} (hand-over, a retry whose subscription is gone). */
    CompletableFuture<Void> toDirect(String share, String name, Map<String, String> headers, byte[] body) {
        Map<String, String> h = headers;
        if (h.containsKey(Wire.DUE)) {
            h = new HashMap<>(headers);
            h.remove(Wire.DUE);
        }
        return send(main, topics.direct(share, name), h, body, null, null, true, "direct:" + name + "@" + share);
    }

    /** Publishes Courier's own bytes (member records, fences) on the main connection. */
    CompletableFuture<Wire.Outcome> publishRaw(String topic, byte[] payload, boolean retain) {
        return main.publish(topic, Map.of(), payload, true, retain, null, null, context.publishTimeout());
    }

    // ---- consuming ---------------------------------------------------------------------------------------

    /**
     * Subscribes with a member session of its own (see {@link Subscription}); replies come on the main
     * connection. One live subscription per message name and group on a transport; a closed one can be
     * subscribed again at once.
     */
    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed || main == null) {
            throw new IllegalStateException("MQTT transport is " + (closed ? "closed" : "not started"));
        }
        Address a = address.withoutGroup();
        String filter = topics.filter(a, group);
        if (a.kind() == Address.Kind.REPLY) {
            Subscription sub = new Subscription(this, a, group, null, filter, null, clientId, prefetch, callback);
            if (byReply.putIfAbsent(a.name(), sub) != null) {
                throw new IllegalStateException("this transport already has a subscription for " + a);
            }
            subscriptions.add(sub);
            try {
                sub.start(main);
            } catch (RuntimeException e) {
                byReply.remove(a.name(), sub);
                subscriptions.remove(sub);
                throw e;
            }
            return sub;
        }
        String share = Topics.share(a, group);
        String key = Subscription.key(share, a.name());
        int gen = generations.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        String id = clientId + ":" + share + ":" + a.name() + ":" + gen;
        Topics.level("client id", id);
        Subscription sub = new Subscription(this, a, group, share, filter, topics.directFilter(share, a.name()), id,
                prefetch, callback);
        if (byKey.putIfAbsent(key, sub) != null) {
            throw new IllegalStateException("this transport already has a subscription for " + a.name() + " in group "
                    + share + "; one handler per message name and bus");
        }
        subscriptions.add(sub);
        memberSessions.put(id, topics.memberRecord(share, a.name(), id));
        try {
            // this session is back: a record it left when it last closed is void
            publishRaw(topics.memberRecord(share, a.name(), id), new byte[0], true).get(cfg.connectTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            Connection c = new Connection(cfg, id, cfg.sessionExpiry(), r -> onMember(sub, r), Threads.orInline(sub.thread()),
                    completions, scheduler);
            sub.start(c);
            retryConnection(sub);
            // the group's closed member sessions (retained records) come now, live ones later
            main.subscribe(topics.memberRecordFilter(share, a.name()), cfg.connectTimeout());
        } catch (Exception e) {
            byKey.remove(key, sub);
            subscriptions.remove(sub);
            sub.handOver();
            throw e instanceof RuntimeException ? (RuntimeException) e
                    : new IllegalStateException("could not subscribe to " + a + ": " + e, e);
        }
        log.debug("subscribed '{}' to {}", id, filter);
        return sub;
    }

    /** A message on the main connection: replies, member records, hand-over fences. */
    private void onIncoming(Connection from, Connection.Received r) {
        Wire.Incoming m = r.message();
        Topics.Route route = topics.route(m.topic());
        switch (route.kind()) {
            case REPLY: {
                Subscription sub = byReply.get(route.name());
                if (sub == null) {
                    log.debug("'{}' acknowledged a reply for {} nobody waits for", clientId, route.name());
                    m.ack().run();
                } else {
                    sub.offer(new MqttDelivery(this, sub, from, r, m.headers(), false));
                }
                break;
            }
            case MEMBERS:
                m.ack().run();
                if (members != null) {
                    members.onRecord(route.name(), m.raw());
                }
                break;
            case MEMBER: {
                m.ack().run();
                String[] nameAndId = route.name().split(" ", 2);
                if (members != null && nameAndId.length == 2) {
                    members.onMemberRecord(route.service(), nameAndId[0], nameAndId[1], m.raw());
                }
                break;
            }
            default:
                log.debug("'{}' acknowledged a message on {} that is not for a handler", clientId, m.topic());
                m.ack().run();
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
                    m.headers().get(dev.courier.spi.Headers.ID));
            m.ack().run();
            return;
        }
        Map<String, String> h = m.headers();
        if (h.containsKey(Wire.DUE)) {
            h = new HashMap<>(h);
            h.remove(Wire.DUE);
        }
        boolean again = sub.seenBefore(h.get(dev.courier.spi.Headers.ID), r.epoch()) || route.kind() == Topics.Kind.DIRECT;
        sub.offer(new MqttDelivery(this, sub, sub.connection(), r, h, again));
    }

    /** A message on the retry session: held until due, then delivered to the live subscription or given back. */
    private void onRetry(Connection from, Connection.Received received) {
        Wire.Incoming in = received.message();
        Topics.Route route = topics.route(in.topic());
        if (route.kind() == Topics.Kind.FENCE) {
            in.ack().run();
            String nonce = retryFenceNonce;
            if (nonce != null && nonce.equals(new String(in.raw(), StandardCharsets.UTF_8))) {
                retryFence.complete(null);
            }
            return;
        }
        if (route.kind() != Topics.Kind.RETRY) {
            log.debug("'{}' acknowledged a message on {} that is not a retry", clientId, in.topic());
            in.ack().run();
            return;
        }
        // counted until acknowledged: a retry session that holds one is handed over, not ended
        retryHeld.incrementAndGet();
        AtomicBoolean counted = new AtomicBoolean(true);
        Wire.Incoming m = new Wire.Incoming(in.topic(), in.headers(), in.body(), in.raw(), () -> {
            if (counted.compareAndSet(true, false)) {
                retryHeld.decrementAndGet();
            }
            in.ack().run();
        }, in.retain());
        onRetryCounted(from, new Connection.Received(m, received.epoch()), route);
    }

    private void onRetryCounted(Connection from, Connection.Received r, Topics.Route route) {
        Wire.Incoming m = r.message();
        long wait = due(m.headers()) - System.currentTimeMillis();
        if (wait <= 0) {
            retryDue(from, r, route);
        } else {
            try {
                scheduler.schedule(() -> retryDue(from, r, route), wait, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing: left unacknowledged in the retry session, which is handed over
            }
        }
    }

    private void retryDue(Connection from, Connection.Received r, Topics.Route route) {
        Wire.Incoming m = r.message();
        Subscription sub = byKey.get(Subscription.key(route.service(), route.name()));
        if (sub == null || sub.isClosed() || from.isClosed()) {
            if (from.isClosed() || closed) {
                return; // stays in the retry session, which is handed over
            }
            // its subscription is gone: back to the group now (a shared session must not hold it)
            toDirect(route.service(), route.name(), m.headers(), m.body()).whenComplete((x, e) -> {
                if (e == null && from.epoch() == r.epoch()) {
                    m.ack().run();
                }
            });
            return;
        }
        Map<String, String> h = new HashMap<>(m.headers());
        h.remove(Wire.DUE);
        sub.offer(new MqttDelivery(this, sub, from, r, h, true));
    }

    private static long due(Map<String, String> h) {
        try {
            return Long.parseLong(h.getOrDefault(Wire.DUE, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    // ---- the rest of the SPI -------------------------------------------------------------------------------

    @Override
    public DeadLetterChannel deadLetters(String service) {
        if (deadLetters != null && deadLetters.service().equals(service)) {
            return deadLetters;
        }
        return new DeadLetterStore(this, cfg, topics, service);
    }

    @Override
    public boolean isConnected() {
        Connection m = main;
        return !closed && m != null && m.isConnected();
    }

    @Override
    public Set<Capability> capabilities() {
        return cfg.version() == MqttConfig.Version.V5
                ? EnumSet.of(Capability.LARGE_MESSAGES, Capability.UNROUTABLE_DETECTED)
                : EnumSet.of(Capability.LARGE_MESSAGES);
    }

    /**
     * MQTT's limits, from the smaller of {@code maxMessageSize} and the broker's CONNACK maximum packet
     * size: a packet carries the topic, the headers (MQTT 5: user properties, a value holding control
     * characters percent-encoded, up to three times as long, and at most 65,535 bytes on the wire;
     * 3.1.1: JSON string members, escapes up to six times as long) and the body (3.1.1: base64 for a body
     * that is not JSON, four thirds as long). Headers get Courier's 64 KiB (less for a small packet
     * size) with their worst-case expansion; the body gets the rest, less 16 KiB for the topic and
     * framing.
     */
    @Override
    public Limits limits() {
        Connection m = main;
        int packet = Math.min(cfg.maxMessageSize(), m == null ? Integer.MAX_VALUE : sessionLimit(m));
        boolean v5 = cfg.version() == MqttConfig.Version.V5;
        int expansion = v5 ? 3 : 6;
        int headers = Math.max(Limits.MIN_HEADERS_BYTES, Math.min(Limits.DEFAULTS.maxHeadersBytes(), packet / 8));
        int value = Math.max(Limits.MIN_HEADER_VALUE_BYTES, Math.min(headers, v5 ? 65_535 / 3 : headers));
        long room = (long) packet - (long) headers * expansion - 16 * 1024;
        long body = v5 ? room : room * 3 / 4;
        return new Limits(Math.min(value, 65_535 / 3), value, headers, (int) Math.max(1, body));
    }

    @Override
    public String describe() {
        return (cfg.tls() ? "mqtts://" : "mqtt://") + host() + " (MQTT "
                + (cfg.version() == MqttConfig.Version.V5 ? "5" : "3.1.1") + ", prefix " + cfg.topicPrefix() + ")";
    }

    @Override
    public String protocol() {
        return "mqtt";
    }

    @Override
    public String host() {
        return cfg.host() + ":" + cfg.port();
    }

    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("topic", topics.publishTopic(address));
        m.put("qos", Integer.toString(cfg.qos()));
        if (address.kind() == Address.Kind.DEAD_LETTER) {
            m.put("session", DeadLetterStore.clientId(cfg, address.name()));
        } else if (group != null && address.kind() != Address.Kind.REPLY) {
            m.put("subscription", topics.filter(address.withoutGroup(), group));
            m.put("sharedGroup", address.kind() == Address.Kind.EVENT ? group : Topics.COMMAND_GROUP);
        }
        m.put("contentMode", cfg.version() == MqttConfig.Version.V5 ? "binary" : "structured");
        return m;
    }

    // ---- for the package ----------------------------------------------------------------------------------

    Connection mainConnection() {
        return main;
    }

    String clientId() {
        return clientId;
    }

    String service() {
        return service;
    }

    Duration publishTimeout() {
        return context.publishTimeout();
    }

    ExecutorService completions() {
        return completions;
    }

    /** Runs work that blocks (session take-overs). */
    ExecutorService tasks() {
        return tasks;
    }

    /** Runs the callbacks of short-lived connections (dead-letter reads, session take-overs) in order. */
    ExecutorService aux() {
        return aux;
    }

    /** The retry filters of this transport's subscriptions (for taking over a retry session). */
    List<String> retryFilters() {
        List<String> fs = new ArrayList<>();
        for (Subscription s : byKey.values()) {
            fs.add(topics.retryFilter(s.share, s.address.name()));
        }
        return fs;
    }

    /** The live subscription of {@code share} for {@code name}, if this transport has one. */
    Subscription live(String share, String name) {
        Subscription s = byKey.get(Subscription.key(share, name));
        return s == null || s.isClosed() ? null : s;
    }

    /** The client ids of this transport's sessions that are connected now (never taken over). */
    boolean ownsLive(String id) {
        if (id.equals(clientId) || id.equals(clientId + ":retry")) {
            return true;
        }
        for (Subscription s : subscriptions) {
            if (s.clientId.equals(id)) {
                return true;
            }
        }
        return false;
    }

    Topics topics() {
        return topics;
    }

    /** Every client id whose session this transport may have created (for tests that clean up). */
    List<String> sessionClientIds() {
        List<String> ids = new ArrayList<>();
        if (clientId != null) {
            ids.add(clientId);
            ids.add(clientId + ":retry");
            ids.add(DeadLetterStore.clientId(cfg, service));
            ids.addAll(memberSessions.keySet());
        }
        return ids;
    }

    /** Every retained record topic this transport may have left (for tests that clean up). */
    List<String> recordTopics() {
        List<String> ts = new ArrayList<>(memberSessions.values());
        if (service != null) {
            ts.add(topics.member(service, clientId));
            ts.add(topics.member(service, clientId + ":retry"));
        }
        return ts;
    }
}
