package dev.courier.mqtt;

import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Courier's MQTT transport ({@code mqtt://}, {@code mqtts://}) over the HiveMQ client: MQTT 5 by
 * default, 3.1.1 on request. See docs/transport-mqtt.md for topics, the wire contract and the broker
 * settings it needs. Create one with {@link #of(String)} or {@link #of(MqttConfig)}; the bus starts it.
 *
 * <p>Sessions: a main session (publishes, replies, records; ended on close), a persistent member
 * session per subscription ({@link Subscriptions}), a persistent retry session ({@link RetrySession})
 * and the service's dead-letter session ({@link DeadLetterStore}). Events arrive through the shared
 * group {@code $share/<service>/…}, commands through {@code $share/courier-command/…}. Messages are
 * acknowledged only when the bus settles them. A closed subscription's session (and every session
 * when the transport closes) is handed over to the group's live or next member ({@link Members}).
 *
 * <p>Reliability comes from Courier's one support package: start-up retries until the bus's start
 * timeout and then throws {@link dev.courier.TransportConnectException}; a lost connection is
 * reconnected with one jittered backoff, trying the address list in order; a publish completes on
 * its PUBACK, waits for room in the window up to the publish timeout, is sent again after a
 * reconnect when its PUBACK did not come, and fails with {@link dev.courier.PublishTimeoutException}
 * when the publish timeout passes ({@link Outbox}). For commands, replies, dead letters and direct
 * deliveries a PUBACK "no matching subscribers" fails it with {@link dev.courier.UnroutableException}
 * (MQTT 5 only). Publish futures complete on the transport's completion thread, never on the
 * client's network thread.
 */
public final class MqttTransport implements Transport, dev.courier.spi.DeadLetterBrowsing,
        dev.courier.spi.WireDescription {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    static final byte[] CLOSED = "closed".getBytes(StandardCharsets.UTF_8);

    private final MqttConfig cfg;
    private final Topics topics;
    private final Subscriptions subscriptions;
    private volatile TransportContext context;
    private volatile String service;
    private volatile String clientId;
    private volatile Connection main;
    private volatile Outbox outbox;
    private volatile Publisher publisher;
    private volatile RetrySession retry;
    private volatile boolean closed;
    private Threads.Pools pools;
    private Members members;
    private DeadLetterStore deadLetters;

    private MqttTransport(MqttConfig cfg) {
        this.cfg = cfg;
        this.topics = new Topics(cfg.topicPrefix());
        this.subscriptions = new Subscriptions(this, cfg, topics);
    }

    /**
     * An unstarted transport with these settings.
     *
     * @param config the settings; never null
     * @return the transport; the bus starts it
     */
    public static MqttTransport of(MqttConfig config) {
        return new MqttTransport(Objects.requireNonNull(config, "config"));
    }

    /**
     * An unstarted transport from an {@code mqtt://} or {@code mqtts://} URI (see {@link MqttConfig}).
     *
     * @param uri the URI, e.g. {@code mqtt://h1:1883,h2:1883?version=3&connectTimeout=5s}
     * @return the transport; the bus starts it
     * @throws ConfigurationException naming every bad part of the URI
     */
    public static MqttTransport of(String uri) {
        return of(MqttConfig.fromUri(uri));
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

    /**
     * Connects the main session (trying the address list in order, retrying with the backoff until
     * {@link TransportContext#startTimeout()}), creates the dead-letter session and starts watching
     * the group's hand-over records. Blocks the caller.
     *
     * @throws dev.courier.TransportConnectException when no broker accepted within the start timeout
     * @throws ConfigurationException when the broker refused the credentials, its maximum packet size
     *                                is below {@code maxMessageSize}, or a name cannot be an MQTT topic level
     * @throws CourierException when already started or closed
     */
    @Override
    public synchronized void start(TransportContext ctx) {
        if (main != null || closed) {
            throw new CourierException("MQTT transport already " + (closed ? "closed" : "started"));
        }
        this.context = ctx;
        this.service = Topics.level("service name", ctx.service());
        String instance = Topics.level("instance id", cfg.instanceId() != null ? cfg.instanceId() : ctx.instanceId());
        this.clientId = cfg.clientIdPrefix() + ":" + service + ":" + instance;
        pools = new Threads.Pools(service + "-" + instance);
        outbox = new Outbox(cfg, cfg.brokers() + " as '" + clientId + "'", Threads.orInline(pools.completions),
                pools.scheduler, pools.sender);
        // null: the main connection's messages are routed on the client's network thread (one hand-off fewer)
        main = new Connection(cfg, clientId, cfg.sessionExpiry(), r -> onMain(main, r), null, pools.scheduler, outbox);
        publisher = new Publisher(cfg, topics, outbox, main, ctx.publishTimeout());
        retry = new RetrySession(this, cfg, topics, clientId + ":retry");
        Wire.Session s;
        try {
            s = main.start(ctx.startTimeout());
            if (s.maximumPacketSize() < cfg.maxMessageSize()) {
                throw new ConfigurationException("MQTT broker " + host() + " accepts packets of at most "
                        + s.maximumPacketSize() + " bytes (CONNACK maximum packet size), less than maxMessageSize="
                        + cfg.maxMessageSize() + "; raise the broker's max_packet_size or lower maxMessageSize");
            }
            deadLetters = new DeadLetterStore(this, cfg, topics, service);
            deadLetters.ensureSession();
            members = new Members(this, cfg, topics, service);
            members.start();
        } catch (RuntimeException e) {
            main.close(false);
            pools.shutdown(); // a failed start leaves no thread behind
            main = null;
            closed = true;
            throw e;
        }
        log.info("MQTT transport connected to {} as '{}' (MQTT {}, session {}, prefix '{}')", cfg.brokers(), clientId,
                cfg.version() == MqttConfig.Version.V5 ? "5" : "3.1.1", s.present() ? "resumed" : "new",
                cfg.topicPrefix());
    }

    /**
     * Closes: every member session is handed over (disconnected without ending it, so it keeps the
     * group's share and what was unsettled, and a retained record lets the group's live or next member
     * take it over); the retry session ends when it holds nothing, else it is handed over likewise;
     * publishes still unconfirmed get up to 10 s; the main session ends. Deliveries not settled by now
     * are stale. Idempotent and bounded.
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
        if (m == null) {
            return;
        }
        try {
            subscriptions.handOverAll().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warn("not every hand-over record was confirmed within 5 s of closing '{}': {}", clientId, e.toString());
        }
        boolean retryLeft = retry.close();
        if (members != null) {
            members.close();
            members.leave(retryLeft);
        }
        outbox.drain(Duration.ofSeconds(10));
        m.close(true);
        pools.shutdown();
        log.info("MQTT transport '{}' closed; its member sessions stay on the broker for {} for the group to take"
                + " over", clientId, cfg.sessionExpiry());
    }

    /** The main session's publish window: PUBLISHes admitted and not yet settled, against {@code maxInFlight}. */
    @Override
    public PublishWindow publishWindow() {
        Outbox o = outbox;
        return o != null ? o.window() : new dev.courier.spi.support.PublishGate(cfg.maxInFlight()); // empty before start
    }

    // ---- the SPI -------------------------------------------------------------------------------------

    /**
     * Publishes; never throws. Waits for room in the window up to the publish timeout, except on a
     * transport thread (a handler, a completion), where it returns at once.
     *
     * @return completes on the PUBACK, on the transport's completion thread; fails with a
     *         {@link PublishException} (timeout, unroutable, refused, closed)
     */
    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        Publisher p = publisher;
        if (closed || p == null) {
            return CompletableFuture.failedFuture(new PublishException("MQTT transport is "
                    + (closed ? "closed" : "not started") + "; cannot publish to " + to));
        }
        return p.publish(to, headers, body);
    }

    /**
     * Subscribes with a member session of its own (see {@link Subscriptions}); replies come on the main
     * connection. Blocks until subscribed.
     *
     * @throws CourierException when not started, closed, already subscribed, or the broker refused
     * @throws ConfigurationException when the address cannot be an MQTT topic
     */
    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed || main == null) {
            throw new CourierException("MQTT transport is " + (closed ? "closed" : "not started") + "; cannot subscribe"
                    + " to " + address);
        }
        Address a = address.withoutGroup();
        return a.kind() == Address.Kind.REPLY ? subscriptions.subscribeReplies(a, group, prefetch, callback, main)
                : subscriptions.subscribe(a, group, prefetch, callback, context.startTimeout());
    }

    /** A message on the main connection: replies, member records. */
    private void onMain(Connection from, Connection.Received r) {
        Wire.Incoming m = r.message();
        Topics.Route route = topics.route(m.topic());
        switch (route.kind()) {
            case REPLY -> subscriptions.onReply(route.name(), from, r);
            case MEMBERS -> {
                m.ack().run();
                if (members != null) {
                    members.onRecord(route.name(), m.raw());
                }
            }
            case MEMBER -> {
                m.ack().run();
                String[] nameAndId = route.name().split(" ", 2);
                if (members != null && nameAndId.length == 2) {
                    members.onMemberRecord(route.service(), nameAndId[0], nameAndId[1], m.raw());
                }
            }
            default -> {
                log.debug("'{}' acknowledged a message on {} that is not for a handler", clientId, m.topic());
                m.ack().run();
            }
        }
    }

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

    /** MQTT's limits, from the smaller of {@code maxMessageSize} and the broker's maximum packet size ({@link WireLimits}). */
    @Override
    public dev.courier.spi.Limits limits() {
        return WireLimits.of(cfg, Publisher.sessionLimit(main));
    }

    @Override
    public String describe() {
        return (cfg.tls() ? "mqtts://" : "mqtt://") + cfg.brokers() + " (MQTT "
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
        return WireLimits.wireAddress(cfg, topics, address, group);
    }

    // ---- for the package ----------------------------------------------------------------------------------

    /** Whether {@link #close()} has begun. */
    boolean isClosing() {
        return closed;
    }

    /**
     * Leaves the retained record that hands a member session over to the group (after it disconnected);
     * completes when the broker has it (the caller bounds the wait).
     */
    CompletableFuture<?> leaveRecord(Subscription s) {
        subscriptions.handedOver(s);
        Connection m = main;
        if (m == null || m.isClosed()) {
            return CompletableFuture.completedFuture(null);
        }
        return publisher.publishRaw(topics.memberRecord(s.share, s.address.name(), s.clientId), CLOSED, true)
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
            pools.scheduler.schedule(() -> runTask(r), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("not scheduled, the transport is closing: {}", e.toString());
        }
    }

    /** Runs blocking work off the caller's thread (nothing when the transport has closed: close does it). */
    void runTask(Runnable r) {
        try {
            pools.tasks.execute(r);
        } catch (RejectedExecutionException e) {
            log.debug("not run, the transport is closing: {}", e.toString());
        }
    }

    Connection mainConnection() {
        return main;
    }

    Publisher publisher() {
        return publisher;
    }

    Subscriptions subscriptions() {
        return subscriptions;
    }

    RetrySession retrySession() {
        return retry;
    }

    Threads.Pools pools() {
        return pools;
    }

    String clientId() {
        return clientId;
    }

    Duration publishTimeout() {
        return context.publishTimeout();
    }

    /** Whether {@code id} is one of this transport's sessions that is connected now (never taken over). */
    boolean ownsLive(String id) {
        return id.equals(clientId) || id.equals(clientId + ":retry") || subscriptions.owns(id);
    }

    /** Every client id whose session this transport may have created (for tests that clean up). */
    List<String> sessionClientIds() {
        List<String> ids = new ArrayList<>();
        if (clientId != null) {
            ids.add(clientId);
            ids.add(clientId + ":retry");
            ids.add(DeadLetterStore.clientId(cfg, service));
            ids.addAll(subscriptions.memberSessions().keySet());
        }
        return ids;
    }

    /** Every retained record topic this transport may have left (for tests that clean up). */
    List<String> recordTopics() {
        List<String> ts = new ArrayList<>(subscriptions.memberSessions().values());
        if (service != null) {
            ts.add(topics.member(service, clientId));
            ts.add(topics.member(service, clientId + ":retry"));
        }
        return ts;
    }
}
