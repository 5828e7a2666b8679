package dev.courier.mqtt;

import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Courier's MQTT transport ({@code mqtt://}, {@code mqtts://}) over the HiveMQ client: MQTT 5 by
 * default, 3.1.1 on request. See docs/transport-mqtt.md for topics, the wire contract and the broker
 * settings it needs.
 *
 * <p>Each instance keeps two persistent sessions (client ids {@code <prefix>:<service>:<instance>} and
 * {@code …:retry}) and the service's dead-letter session. Events arrive through the shared group
 * {@code $share/<service>/…}, commands through {@code $share/courier-command/…}. Messages are
 * acknowledged only when the bus settles them; a retry or requeue is a republish followed by the
 * acknowledgement. A publish completes on PUBACK; for commands, replies, dead letters and direct
 * deliveries a PUBACK saying "no matching subscribers" fails it (MQTT 5 only).
 */
public final class MqttTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    private static final long EARLY_GRACE_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final byte[] CLOSED = "closed".getBytes(StandardCharsets.UTF_8);

    private final MqttConfig cfg;
    private final Topics topics;
    private final Map<String, Subscription> byName = new ConcurrentHashMap<>();
    private final Map<String, Subscription> byReply = new ConcurrentHashMap<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final List<Early> early = new ArrayList<>();
    private volatile TransportContext context;
    private volatile String service;
    private volatile String clientId;
    private volatile Connection main;
    private volatile Connection retry;
    private volatile boolean closed;
    private ScheduledExecutorService scheduler;
    private ExecutorService completions;
    private ExecutorService incoming;
    private ExecutorService retryIncoming;
    private ExecutorService aux;
    private ExecutorService tasks;
    private Members members;
    private DeadLetterStore deadLetters;

    /** A message for a route nobody subscribed to yet (yet: the bus subscribes right after start). */
    private record Early(Connection from, Connection.Received received, Topics.Route route, long since) {
    }

    private MqttTransport(MqttConfig cfg) {
        this.cfg = cfg;
        this.topics = new Topics(cfg.topicPrefix());
    }

    /** An unstarted transport with these settings. */
    public static MqttTransport create(MqttConfig config) {
        return new MqttTransport(java.util.Objects.requireNonNull(config, "config"));
    }

    /** An unstarted transport from an {@code mqtt://} or {@code mqtts://} URI (see {@link MqttConfig}). */
    public static MqttTransport create(String uri) {
        return create(MqttConfig.fromUri(URI.create(uri)));
    }

    /** The settings this transport was built with. */
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
        scheduler = Executors.newScheduledThreadPool(1, daemon("courier-mqtt-timer-" + tag));
        // confirmations complete here, in order, never on the client's network thread; one thread is
        // cheaper than a pool hand-off per message, and a blocking user continuation cannot stall the network
        completions = Executors.newSingleThreadExecutor(daemon("courier-mqtt-io-" + tag));
        incoming = Executors.newSingleThreadExecutor(daemon("courier-mqtt-in-" + tag));
        retryIncoming = Executors.newSingleThreadExecutor(daemon("courier-mqtt-retry-" + tag));
        aux = Executors.newSingleThreadExecutor(daemon("courier-mqtt-aux-" + tag));
        tasks = Executors.newCachedThreadPool(daemon("courier-mqtt-task-" + tag));
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
            main.subscribe(topics.directFilter(service), cfg.connectTimeout());
            deadLetters = new DeadLetterStore(this, cfg, topics, service);
            deadLetters.ensureSession();
            members = new Members(this, cfg, topics, service);
            members.start();
        } catch (RuntimeException e) {
            main.close(false);
            throw e;
        }
        scheduler.scheduleWithFixedDelay(this::sweepEarly, 1, 1, TimeUnit.SECONDS);
        log.info("MQTT transport connected to {} as '{}' (MQTT {}, session {}, prefix '{}')", host(), clientId,
                cfg.version() == MqttConfig.Version.V5 ? "5" : "3.1.1", s.present() ? "resumed" : "new",
                cfg.topicPrefix());
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private synchronized Connection retryConnection() {
        if (retry == null) {
            Connection c = new Connection(cfg, clientId + ":retry", cfg.sessionExpiry(), r -> onIncoming(retry, r),
                    retryIncoming, completions, scheduler);
            retry = c;
            c.start();
            c.subscribe(topics.retryFilter(service), cfg.connectTimeout());
        }
        return retry;
    }

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
        for (Subscription s : subscriptions) {
            s.close();
        }
        if (m == null) {
            return;
        }
        m.drain(Duration.ofSeconds(10));
        // stop taking the group's retries and replays: other instances get them while this one is away
        try {
            CompletableFuture<Void> u = m.unsubscribe(topics.directFilter(service));
            if (retry != null) {
                u = u.thenCompose(x -> retry.unsubscribe(topics.retryFilter(service)));
            }
            u.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("could not leave the direct/retry groups of '{}': {}", clientId, e.toString());
        }
        if (members != null) {
            members.leave(retry != null);
        }
        if (retry != null) {
            retry.close(false);
        }
        m.close(false);
        scheduler.shutdownNow();
        incoming.shutdown();
        retryIncoming.shutdown();
        aux.shutdown();
        tasks.shutdown();
        completions.shutdown();
        log.info("MQTT transport '{}' closed; its session stays on the broker for {}", clientId, cfg.sessionExpiry());
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
                .whenCompleteAsync((o, e) -> { }, completions) // callers' continuations never run on the network thread
                .thenApply(o -> {
                    if (o == Wire.Outcome.NO_SUBSCRIBERS && needsSubscriber) {
                        throw new PublishException("unroutable: the broker has no subscriber for " + what + " (topic "
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
        // off the caller's thread: it may be the client's network thread, and publish may wait for room
        return CompletableFuture.supplyAsync(() -> republishNow(sub, headers, body, delay), completions)
                .thenCompose(f -> f);
    }

    private CompletableFuture<Void> republishNow(Subscription sub, Map<String, String> headers, byte[] body,
                                                 Duration delay) {
        if (main == null) {
            return CompletableFuture.failedFuture(new PublishException("MQTT transport not started"));
        }
        String name = sub.address.name();
        if (sub.address.kind() == Address.Kind.REPLY) {
            return send(main, topics.reply(name), headers, body, null, null, true, sub.address.toString());
        }
        if (delay == null || delay.isZero() || delay.isNegative()) {
            return send(main, topics.direct(service, name), headers, body, null, null, true, "direct:" + name + "@" + service);
        }
        Map<String, String> h = new HashMap<>(headers);
        h.put(Wire.DUE, Long.toString(System.currentTimeMillis() + delay.toMillis()));
        return send(main, topics.retry(service, name), h, body, null, null, true, "retry:" + name + "@" + service);
    }

    /** Publishes Courier's own bytes (member records, fences) on the main connection. */
    CompletableFuture<Wire.Outcome> publishRaw(String topic, byte[] payload, boolean retain) {
        return main.publish(topic, Map.of(), payload, true, retain, null, null, context.publishTimeout());
    }

    /** Republishes a message taken from an adopted session to this service's direct topic. */
    CompletableFuture<Void> adoptMessage(String name, Map<String, String> headers, byte[] body) {
        Map<String, String> h = new HashMap<>(headers);
        h.remove(Wire.DUE);
        return send(main, topics.direct(service, name), h, body, null, null, true, "direct:" + name + "@" + service);
    }

    // ---- consuming ---------------------------------------------------------------------------------------

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed || main == null) {
            throw new IllegalStateException("MQTT transport is " + (closed ? "closed" : "not started"));
        }
        Address a = address.withoutGroup();
        String filter = topics.filter(a, group);
        Subscription sub = new Subscription(a, group, filter, prefetch, callback, this::isConnected);
        if (a.kind() == Address.Kind.REPLY) {
            byReply.put(a.name(), sub);
        } else {
            Subscription prev = byName.putIfAbsent(a.name(), sub);
            if (prev != null) {
                throw new IllegalStateException("this transport already has a subscription for " + a.name()
                        + "; one handler per message name and bus");
            }
        }
        subscriptions.add(sub);
        main.subscribe(filter, cfg.connectTimeout());
        if (a.kind() != Address.Kind.REPLY) {
            retryConnection();
        }
        releaseEarly();
        log.debug("subscribed '{}' to {}", clientId, filter);
        return sub;
    }

    private void onIncoming(Connection from, Connection.Received r) {
        Wire.Incoming m = r.message();
        Topics.Route route = topics.route(m.topic());
        switch (route.kind()) {
            case MESSAGE:
            case DIRECT:
            case REPLY:
                if (!dispatch(from, r, route)) {
                    synchronized (early) {
                        early.add(new Early(from, r, route, System.nanoTime()));
                    }
                }
                break;
            case RETRY:
                long due = due(m.headers());
                long wait = due - System.currentTimeMillis();
                if (wait <= 0) {
                    onIncoming(from, new Connection.Received(m, r.epoch()), new Topics.Route(Topics.Kind.DIRECT,
                            route.service(), route.name()));
                } else {
                    scheduler.schedule(() -> onIncoming(from, r, new Topics.Route(Topics.Kind.DIRECT, route.service(),
                            route.name())), wait, TimeUnit.MILLISECONDS);
                }
                break;
            case MEMBERS:
                if (members != null) {
                    members.onRecord(route.name(), m.raw());
                }
                m.ack().run();
                break;
            default:
                log.debug("'{}' acknowledged a message on {} that is not for a handler", clientId, m.topic());
                m.ack().run();
        }
    }

    private void onIncoming(Connection from, Connection.Received r, Topics.Route route) {
        if (!dispatch(from, r, route)) {
            synchronized (early) {
                early.add(new Early(from, r, route, System.nanoTime()));
            }
        }
    }

    private static long due(Map<String, String> h) {
        try {
            return Long.parseLong(h.getOrDefault(Wire.DUE, "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Hands a message to its subscription; false when there is none (yet). */
    private boolean dispatch(Connection from, Connection.Received r, Topics.Route route) {
        Subscription sub = route.kind() == Topics.Kind.REPLY ? byReply.get(route.name()) : byName.get(route.name());
        if (sub == null) {
            return false;
        }
        Map<String, String> h = r.message().headers();
        boolean redelivered = route.kind() == Topics.Kind.DIRECT;
        if (h.containsKey(Wire.DUE)) {
            h = new HashMap<>(h);
            h.remove(Wire.DUE);
        }
        sub.offer(new MqttDelivery(this, sub, r, h, redelivered));
        return true;
    }

    private void releaseEarly() {
        List<Early> ready = new ArrayList<>();
        synchronized (early) {
            for (Iterator<Early> it = early.iterator(); it.hasNext(); ) {
                Early e = it.next();
                Subscription sub = e.route.kind() == Topics.Kind.REPLY ? byReply.get(e.route.name())
                        : byName.get(e.route.name());
                if (sub != null) {
                    ready.add(e);
                    it.remove();
                }
            }
        }
        for (Early e : ready) {
            incoming.execute(() -> dispatch(e.from, e.received, e.route));
        }
    }

    /** Messages nobody claimed within the grace period belong to a subscription of an earlier run. */
    private void sweepEarly() {
        releaseEarly();
        List<Early> stale = new ArrayList<>();
        long now = System.nanoTime();
        synchronized (early) {
            for (Iterator<Early> it = early.iterator(); it.hasNext(); ) {
                Early e = it.next();
                if (now - e.since > EARLY_GRACE_NANOS) {
                    stale.add(e);
                    it.remove();
                }
            }
        }
        Set<String> dropped = new java.util.HashSet<>();
        for (Early e : stale) {
            String topic = e.received.message().topic();
            if (dropped.add(topic)) {
                log.warn("'{}' has no handler for {} (its session still subscribes from an earlier run);"
                        + " acknowledging and unsubscribing", clientId, topic);
                if (e.route.kind() == Topics.Kind.MESSAGE) {
                    main.unsubscribe("$share/" + service + "/" + topic);
                    main.unsubscribe("$share/" + Topics.COMMAND_GROUP + "/" + topic);
                }
            }
            e.received.message().ack().run();
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

    /** The shared-group filters an instance of this service subscribes to (for session take-over). */
    List<String> groupFilters() {
        List<String> fs = new ArrayList<>();
        fs.add(topics.directFilter(service));
        fs.add(topics.retryFilter(service));
        for (Subscription s : subscriptions) {
            if (s.address.kind() != Address.Kind.REPLY) {
                fs.add(s.filter);
            }
        }
        return fs;
    }

    /** Every client id whose session this transport may have created (for tests that clean up). */
    List<String> sessionClientIds() {
        List<String> ids = new ArrayList<>();
        if (clientId != null) {
            ids.add(clientId);
            ids.add(clientId + ":retry");
            ids.add(DeadLetterStore.clientId(cfg, service));
        }
        return ids;
    }
}
