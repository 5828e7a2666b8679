package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.ConfigurationException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
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

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Consumer;

/**
 * The AMQP 0-9-1 transport over RabbitMQ ({@code amqp://} and {@code amqps://}).
 *
 * <p>Topology, declared idempotently on start and on subscribe (all names under the optional
 * namespace): a durable topic exchange for events ({@code courier.events}, routing key = message
 * name) with a durable queue per (service, event) ({@code <service>.<event>}); a durable direct
 * exchange for commands ({@code courier.commands}) with one durable queue per command
 * ({@code courier.command.<name>}); an exclusive, auto-delete reply queue per bus instance
 * ({@code courier.reply.<service>.<instance>}); a durable dead-letter queue per service
 * ({@code courier.dead-letter.<service>}); and a TTL queue per delay step
 * ({@code courier.delay.<millis>ms}) that dead-letters back to the failing service's own queue.
 *
 * <p>Messages are CloudEvents in binary mode ({@code cloudEvents_*} headers), persistent, published
 * with asynchronous publisher confirms in a bounded window; commands, replies, dead letters and
 * targeted redeliveries are mandatory. Consumers ack manually with a prefetch. Courier keeps its two
 * connections (publishing and consuming) up by itself and declares its topology again after every
 * reconnect. See docs/transport-amqp.md.
 *
 * <pre>{@code
 * MessageBus.builder("ordering").transport("amqp://guest:guest@localhost:5672/")...
 * MessageBus.builder("ordering").transport(AmqpTransport.builder()
 *         .uri("amqps://app:secret@rabbit-1:5671,rabbit-2:5671/prod")
 *         .queueType(AmqpTransport.QueueType.QUORUM)
 *         .build())...
 * }</pre>
 */
public final class AmqpTransport implements Transport, dev.courier.spi.DeadLetterBrowsing,
        dev.courier.spi.WireDescription {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    /** The queue type of Courier's durable queues. */
    public enum QueueType {
        /** Classic queues: the default, for a single node. */
        CLASSIC,
        /** Quorum queues: replicated, for clusters; delay steps dead-letter at least once. */
        QUORUM
    }

    /** The events topic exchange's default name. */
    public static final String DEFAULT_EVENTS_EXCHANGE = "courier.events";
    /** The commands direct exchange's default name. */
    public static final String DEFAULT_COMMANDS_EXCHANGE = "courier.commands";
    /** Published messages waiting for their confirm at most, by default. */
    public static final int DEFAULT_CONFIRM_WINDOW = 1_000;
    /** The largest message body accepted, in bytes, by default (16 MiB). */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
    /** Longest wait for RabbitMQ's reply to any channel round trip (declare, consume, cancel, close). */
    static final Duration CHANNEL_RPC_TIMEOUT = Duration.ofSeconds(30);
    /** RabbitMQ's ceiling for max_message_size: no broker delivers a larger message. */
    static final int BROKER_MAX_MESSAGE_SIZE = 512 * 1024 * 1024;
    /** How long start() retries the first connect, by default. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    /** The AMQP heartbeat, by default. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);
    /** The longest pause between reconnect attempts, by default. */
    public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(5);

    private final AmqpConfig cfg;
    private final Names names;
    private final Topology topology;
    private final List<AmqpSubscription> subscriptions = new CopyOnWriteArrayList<>();
    private final Set<String> declared = ConcurrentHashMap.newKeySet();
    /** Every name this transport declared, for tests that clean up after themselves. */
    private final Set<String> used = ConcurrentHashMap.newKeySet();
    private final ReplyGuard replies = new ReplyGuard();
    private volatile ScheduledExecutorService scheduler;
    private volatile ExecutorService completions;
    private volatile Publisher publisher;
    private volatile Link pubLink;
    private volatile Link subLink;
    private volatile TransportContext context;
    private volatile boolean closing;

    /** The user's hook on amqp-client's ConnectionFactory (issue 15), or null. */
    private final java.util.function.Consumer<? super ConnectionFactory> customizer;

    private AmqpTransport(AmqpConfig cfg, java.util.function.Consumer<? super ConnectionFactory> customizer) {
        this.cfg = cfg;
        this.customizer = customizer;
        this.names = new Names(cfg.namespace(), cfg.eventsExchange(), cfg.commandsExchange());
        this.topology = new Topology(names, cfg.queueType());
    }

    /**
     * A builder with the defaults: {@code amqp://guest:guest@localhost:5672/}, classic queues.
     *
     * @return a new builder; nothing is checked until {@link Builder#build()}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A transport from a URI; see {@link Builder#uri(String)}. Fails naming each bad setting.
     *
     * @param uri an {@code amqp://} or {@code amqps://} URI; never null
     * @return an unstarted transport (the bus starts it)
     * @throws dev.courier.ConfigurationException naming every bad setting at once
     */
    public static AmqpTransport of(String uri) {
        return builder().uri(uri).build();
    }

    // ---- lifecycle -----------------------------------------------------------------------------

    @Override
    public synchronized void start(TransportContext ctx) {
        if (context != null) {
            throw new IllegalStateException("AMQP transport already started; each bus needs its own transport");
        }
        context = ctx;
        String name = cfg.connectionName() != null ? cfg.connectionName() : "courier-" + ctx.service() + "-" + ctx.instanceId();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon(name + "-amqp"));
        s.setRemoveOnCancelPolicy(true);
        scheduler = s;
        completions = Executors.newSingleThreadExecutor(daemon(name + "-confirms"));
        publisher = new Publisher(cfg, topology, completions, scheduler, this::redeclare);
        ConnectionFactory factory;
        try {
            factory = factory(cfg, customizer);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        pubLink = new Link("pub", cfg, factory, name, scheduler, c -> {
            declared.clear();
            publisher.connected(c);
        }, sig -> { });
        publisher.link(pubLink);
        subLink = new Link("sub", cfg, factory, name, scheduler, this::consumerConnected, this::consumerLost);
        try {
            pubLink.connectFirst();
            subLink.connectFirst();
            ensureDeclared(names.deadLetterQueue(ctx.service()), ch -> topology.declareDurable(ch,
                    names.deadLetterQueue(ctx.service())), System.nanoTime() + ctx.publishTimeout().toNanos());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info("AMQP transport connected to {} as {} ({} queues)", cfg.redactedUri(), name,
                cfg.queueType().name().toLowerCase(java.util.Locale.ROOT));
    }

    private static ConnectionFactory factory(AmqpConfig cfg, java.util.function.Consumer<? super ConnectionFactory> customizer) {
        ConnectionFactory f = new FrameGuard.Factory(cfg.maxMessageSize());
        f.setUsername(cfg.username());
        f.setPassword(cfg.password());
        f.setVirtualHost(cfg.virtualHost());
        f.setAutomaticRecoveryEnabled(false); // Courier recovers itself: see Link
        f.setTopologyRecoveryEnabled(false);
        f.setRequestedHeartbeat((int) Math.max(1, cfg.heartbeat().toSeconds()));
        f.setConnectionTimeout(10_000);
        f.setChannelRpcTimeout((int) CHANNEL_RPC_TIMEOUT.toMillis()); // amqp-client's default is 10 minutes
        // amqp-client closes the whole connection on a body over this cap; the FrameGuard enforces
        // maxMessageSize per message instead, so the cap is RabbitMQ's own ceiling (max_message_size <= 512 MiB)
        f.setMaxInboundMessageBodySize(BROKER_MAX_MESSAGE_SIZE);
        f.getClientProperties().put("product", "Courier (amqp-client)");
        if (cfg.tls()) {
            SSLContext ctx = cfg.sslContext();
            if (ctx == null) {
                try {
                    ctx = SSLContext.getDefault();
                } catch (NoSuchAlgorithmException e) {
                    throw new ConfigurationException("sslContext: no default SSLContext in this JVM: " + e.getMessage());
                }
            }
            f.useSslProtocol(ctx);
            f.enableHostnameVerification();
        }
        if (customizer != null) {
            customizer.accept(f);
            // what Courier's own recovery and size checks rely on stays as Courier set it
            f.setAutomaticRecoveryEnabled(false);
            f.setTopologyRecoveryEnabled(false);
            f.setMaxInboundMessageBodySize(BROKER_MAX_MESSAGE_SIZE);
        }
        return f;
    }

    private void consumerConnected(Connection c) {
        for (AmqpSubscription s : subscriptions) {
            try {
                s.attach(c);
            } catch (RuntimeException e) {
                log.warn("re-attaching the consumer of {} after reconnect failed ({}); retrying", s.queue, e.getMessage());
                s.reattachLater(1);
            }
        }
    }

    /** After a channel error on publish (an exchange or queue was deleted?): declare everything again. */
    private void redeclare() {
        declared.clear();
        Connection c = consumeConnection();
        if (c == null) {
            return;
        }
        for (AmqpSubscription s : subscriptions) {
            try {
                Publisher.withChannel(c, s::declare);
            } catch (RuntimeException e) {
                log.warn("declaring {} again failed: {}", s.queue, e.getMessage());
            }
        }
    }

    private void consumerLost(ShutdownSignalException cause) {
        replies.connectionLost(context);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        for (AmqpSubscription s : List.copyOf(subscriptions)) {
            s.close(); // sends nothing while closing: the connection's close cancels every consumer
        }
        Publisher p = publisher;
        if (p != null) {
            Duration patience = context == null ? Duration.ofSeconds(5)
                    : context.publishTimeout().compareTo(Duration.ofSeconds(5)) < 0 ? context.publishTimeout() : Duration.ofSeconds(5);
            p.close(patience);
        }
        subscriptions.clear(); // their channels close with the connection, which gives unsettled messages back
        if (subLink != null) {
            subLink.close();
        }
        if (pubLink != null) {
            pubLink.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        if (completions != null) {
            completions.shutdown();
        }
        if (context != null) {
            log.info("AMQP transport to {} closed", cfg.redactedUri());
        }
    }

    // ---- publish -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        TransportContext ctx = context;
        if (ctx == null || closing) {
            return CompletableFuture.failedFuture(new PublishException("AMQP transport is "
                    + (closing ? "closed" : "not started") + "; cannot publish to " + to));
        }
        String what = to + " " + headers.getOrDefault(Headers.ID, "(no id)");
        if (body.length > cfg.maxMessageSize()) {
            return CompletableFuture.failedFuture(new PublishException(what + " is " + body.length
                    + " bytes, over maxMessageSize " + cfg.maxMessageSize()));
        }
        String tooLong = Wire.shortStringProblem(headers);
        if (tooLong != null) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish " + what + ": " + tooLong));
        }
        Names.Route route = names.route(to);
        if (Wire.utf8Length(route.routingKey()) > Wire.SHORT_STRING_MAX) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish " + what + ": its routing key '"
                    + route.routingKey() + "' is " + Wire.utf8Length(route.routingKey()) + " bytes; AMQP allows "
                    + Wire.SHORT_STRING_MAX));
        }
        AMQP.BasicProperties props = Wire.properties(headers);
        String frame = publisher.frameProblem(props, headers, body.length);
        if (frame != null) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish " + what + ": " + frame));
        }
        if (to.kind() == Address.Kind.COMMAND) {
            replies.track(headers);
        } else if (to.kind() == Address.Kind.DEAD_LETTER) {
            try {
                ensureDeclared(route.routingKey(), ch -> topology.declareDurable(ch, route.routingKey()),
                        System.nanoTime() + ctx.publishTimeout().toNanos());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e instanceof PublishException ? e
                        : new PublishException("could not declare the dead-letter queue " + route.routingKey(), e));
            }
        }
        return publisher.publish(route.exchange(), route.routingKey(), route.mandatory(), props, body, what,
                ctx.publishTimeout());
    }

    /** Publishes to the TTL queue of the delay step, which dead-letters to {@code queue} after {@code delay}. */
    CompletableFuture<Void> publishDelayed(String queue, Map<String, String> headers, byte[] body, Duration delay) {
        TransportContext ctx = context;
        if (ctx == null || closing) {
            return CompletableFuture.failedFuture(new PublishException("AMQP transport is closed; cannot redeliver"));
        }
        long millis = Math.max(1, delay.toMillis());
        String name = names.delay(millis);
        try {
            ensureDeclared(name, ch -> topology.declareDelay(ch, millis), System.nanoTime() + ctx.publishTimeout().toNanos());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        String what = "redelivery of " + headers.getOrDefault(Headers.ID, "(no id)") + " to " + queue + " in " + delay;
        String tooLong = Wire.shortStringProblem(headers);
        AMQP.BasicProperties props = Wire.properties(headers);
        String frame = tooLong != null ? tooLong : publisher.frameProblem(props, headers, body.length);
        if (frame != null) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish the " + what + ": " + frame));
        }
        return publisher.publish(name, queue, true, props, body, what, ctx.publishTimeout());
    }

    private void ensureDeclared(String name, Consumer<Channel> declaration, long deadlineNanos) {
        if (declared.contains(name)) {
            return;
        }
        publisher.declare(declaration, deadlineNanos);
        declared.add(name);
        used.add(name);
    }

    /**
     * Dead-letters a delivery Courier cannot carry (see {@link Edge}) without handing it to the bus,
     * then acks it. If the dead letter cannot be stored, it is tried again a few times with growing
     * pauses, then the delivery goes back to the queue (ERROR): it is never dropped.
     */
    void refuse(AmqpSubscription sub, AmqpDelivery d, AMQP.BasicProperties props, String reason) {
        TransportContext ctx = context;
        String id = d.headers().getOrDefault(Headers.ID, "(no id)");
        log.warn("message {} on queue {} cannot be carried by Courier and is dead-lettered at once: {}",
                id.length() > 80 ? id.substring(0, 80) + "…" : id, sub.queue, reason);
        Map<String, String> h = Edge.deadLetter(d.headers(), props, reason, sub.address, ctx.service());
        byte[] body = props.getHeaders() != null && props.getHeaders().containsKey(HeaderFrame.BODY_BYTES)
                ? new byte[0] : d.body();
        deadLetterAtEdge(d, h, body, ctx, 0);
    }

    private void deadLetterAtEdge(AmqpDelivery d, Map<String, String> headers, byte[] body, TransportContext ctx,
                                  int attempt) {
        String queue = names.deadLetterQueue(ctx.service());
        String what = "dead letter of " + Wire.shortened(headers.get(Headers.ID));
        CompletableFuture<Void> f;
        try {
            ensureDeclared(queue, ch -> topology.declareDurable(ch, queue), System.nanoTime()
                    + ctx.publishTimeout().toNanos());
            Map<String, String> h = Edge.fitted(headers, m -> publisher.frameProblem(Wire.properties(m, true), m,
                    body.length) == null);
            f = publisher.publish("", queue, true, Wire.properties(h, true), body, what, ctx.publishTimeout());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((x, e) -> {
            if (e == null) {
                d.ack();
                return;
            }
            if (attempt < 3 && !closing) {
                long pause = (500L << attempt) + java.util.concurrent.ThreadLocalRandom.current().nextLong(250);
                log.warn("could not store the {} ({}); trying again in {} ms", what, e.getMessage(), pause);
                try {
                    scheduler.schedule(() -> deadLetterAtEdge(d, headers, body, ctx, attempt + 1), pause,
                            java.util.concurrent.TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    // closing: give it back below
                }
            }
            log.error("could not store the {} ({}); the message goes back to its queue", what, e.getMessage());
            d.reject(true);
        });
    }

    /** A closed subscription is not re-attached after a reconnect; its address and group may be subscribed again. */
    void forget(AmqpSubscription s) {
        subscriptions.remove(s);
    }

    void replyArrived(Map<String, String> headers) {
        replies.arrived(headers);
    }

    // ---- subscribe, dead letters ------------------------------------------------------------------

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (context == null || closing) {
            throw new IllegalStateException("AMQP transport is " + (closing ? "closed" : "not started"));
        }
        int pf = cfg.prefetch() > 0 ? cfg.prefetch() : Math.max(1, Math.min(prefetch, 65_535));
        AmqpSubscription s = new AmqpSubscription(this, address, group, names.queueOf(address, group), pf, callback);
        if (address.kind() == Address.Kind.REPLY) {
            replies.watch(s, callback);
        }
        subscriptions.add(s);
        used.add(s.queue);
        Connection c = subLink.current();
        if (c != null) {
            try {
                s.attach(c);
            } catch (RuntimeException e) {
                subscriptions.remove(s);
                throw e;
            }
        }
        log.debug("subscribed {} for group {} on queue {}", address, group, s.queue);
        return s;
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return new AmqpDeadLetters(this, names.deadLetterQueue(service));
    }

    /** Runs reads on a throw-away channel of the publishing connection. */
    void withAdminChannel(Consumer<Channel> work) {
        TransportContext ctx = context;
        if (ctx == null || closing) {
            throw new IllegalStateException("AMQP transport is " + (closing ? "closed" : "not started"));
        }
        Connection c = pubLink.await(System.nanoTime() + ctx.publishTimeout().toNanos());
        if (c == null) {
            throw new PublishTimeoutException("RabbitMQ at " + cfg.redactedUri() + " unreachable for the publish timeout");
        }
        Publisher.withChannel(c, work);
    }

    // ---- state and contracts ------------------------------------------------------------------------

    @Override
    public boolean isConnected() {
        return !closing && pubLink != null && pubLink.isConnected() && subLink.isConnected();
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.allOf(Capability.class);
    }

    /**
     * What AMQP 0-9-1 on this broker can carry: {@code id}, {@code correlationid}, {@code type} and
     * {@code datacontenttype} go into short-string properties of at most 255 bytes; all headers travel
     * in one content-header frame of the negotiated {@code frame_max} (8 KiB of it kept for the
     * properties and the per-header encoding); bodies up to {@code maxMessageSize}.
     */
    @Override
    public Limits limits() {
        Publisher p = publisher;
        int frame = p == null ? Publisher.DEFAULT_FRAME_MAX : p.frameMax();
        int headers = Math.max(Limits.MIN_HEADERS_BYTES, frame - 8 * 1024);
        return new Limits(Wire.SHORT_STRING_MAX, headers, headers, cfg.maxMessageSize());
    }

    @Override
    public String describe() {
        return cfg.redactedUri() + (cfg.namespace().isEmpty() ? "" : " namespace " + cfg.namespace())
                + (isConnected() ? " (connected)" : context == null ? "" : " (reconnecting)");
    }

    /** Publishes waiting for RabbitMQ's confirm, against {@code confirmWindow}. */
    @Override
    public PublishWindow publishWindow() {
        return new PublishWindow() {
            @Override
            public int inFlight() {
                Publisher p = publisher;
                return p == null ? 0 : p.inFlight();
            }

            @Override
            public int capacity() {
                return cfg.confirmWindow();
            }
        };
    }

    @Override
    public String protocol() {
        return "amqp";
    }

    @Override
    public String host() {
        return cfg.hostList();
    }

    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        return names.wireAddress(address, group, cfg.queueType());
    }

    @Override
    public String toString() {
        return "AmqpTransport[" + cfg + "]";
    }

    // ---- for the package ----------------------------------------------------------------------------

    /**
     * The pauses of one reconnect loop: from 100 ms, doubling to {@code maxReconnectDelay}, each
     * lowered by a random part of up to half; the count starts over only after a connection stayed up
     * for 30 s (or twice {@code maxReconnectDelay}, if longer).
     */
    static dev.courier.spi.Backoff backoff(AmqpConfig cfg) {
        Duration max = cfg.maxReconnectDelay().compareTo(dev.courier.spi.Backoff.DEFAULT_INITIAL_DELAY) < 0
                ? dev.courier.spi.Backoff.DEFAULT_INITIAL_DELAY : cfg.maxReconnectDelay();
        Duration stable = max.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? max.multipliedBy(2)
                : Duration.ofSeconds(30);
        return dev.courier.spi.Backoff.custom().maxDelay(max).stableAfter(stable).build();
    }

    Topology topology() {
        return topology;
    }

    Names names() {
        return names;
    }

    /** The confirm-tracking publisher; for tests that go past the transport's own checks. */
    Publisher publisher() {
        return publisher;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    boolean isClosing() {
        return closing;
    }

    Connection consumeConnection() {
        Link l = subLink;
        return l == null ? null : l.current();
    }

    AmqpConfig config() {
        return cfg;
    }

    /** How many consuming connections were opened so far (1 after start, +1 per reconnect); for tests. */
    int consumerConnects() {
        Link l = subLink;
        return l == null ? 0 : l.connects();
    }

    /** Drops the consuming connection as a network failure would; the transport reconnects. For tests. */
    void dropConsumerConnection() {
        Link l = subLink;
        if (l != null) {
            l.dropForTest();
        }
    }

    /** Every exchange and queue name this transport declared, for test clean-up. */
    List<String> knownNames() {
        List<String> out = new ArrayList<>(used);
        out.add(names.eventsExchange());
        out.add(names.commandsExchange());
        return out;
    }

    /** Drops both connections without acking or closing anything, as a crashed process would; for tests. */
    void kill() {
        closing = true;
        for (Link l : new Link[] {subLink, pubLink}) {
            if (l != null) {
                l.abort();
            }
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---- configuration ------------------------------------------------------------------------------

    /**
     * Settings of an {@link AmqpTransport}. Every setter may be called in any order; {@link #build()}
     * checks them all and fails with a {@link ConfigurationException} that names each bad setting.
     */
    public static final class Builder {
        boolean tls;
        List<String> addresses = List.of("localhost:5672");
        String username = "guest";
        String password = "guest";
        String virtualHost = "/";
        private SSLContext sslContext;
        private String namespace = "";
        private String eventsExchange = DEFAULT_EVENTS_EXCHANGE;
        private String commandsExchange = DEFAULT_COMMANDS_EXCHANGE;
        private QueueType queueType = QueueType.CLASSIC;
        private int prefetch;
        private int confirmWindow = DEFAULT_CONFIRM_WINDOW;
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration heartbeat = DEFAULT_HEARTBEAT;
        private Duration maxReconnectDelay = DEFAULT_MAX_RECONNECT_DELAY;
        private String connectionName;
        private java.util.function.Consumer<? super ConnectionFactory> customizer;
        private final List<String> problems = new ArrayList<>();

        private Builder() {
        }

        /**
         * Where and how to connect: {@code amqp://user:password@host:port/vhost} or {@code amqps://...}
         * (TLS with host name verification), several {@code host:port} separated by commas for a
         * cluster, the virtual host percent-encoded ({@code %2F} for "/", an empty path means "/").
         * Query parameters set the other settings by their builder names: {@code namespace},
         * {@code eventsExchange}, {@code commandsExchange}, {@code queueType} (classic|quorum),
         * {@code prefetch}, {@code confirmWindow}, {@code maxMessageSize}, {@code startTimeout} and
         * {@code heartbeat} (seconds), {@code connectionName}.
         *
         * @param uri the URI; null or unparsable is reported by {@link #build()}
         * @return this builder
         */
        public Builder uri(String uri) {
            if (uri == null) {
                problems.add("uri must not be null");
                return this;
            }
            try {
                return uri(new URI(uri));
            } catch (URISyntaxException e) {
                problems.add("uri is not a valid URI: " + e.getReason());
                return this;
            }
        }

        /**
         * As {@link #uri(String)}.
         *
         * @param uri the URI; bad parts are reported by {@link #build()}
         * @return this builder
         */
        public Builder uri(URI uri) {
            AmqpUri.apply(uri, this, problems);
            return this;
        }

        /**
         * The broker addresses as {@code host:port} (port defaults to 5672, or 5671 with TLS).
         *
         * @param hostPorts one or more {@code host} or {@code host:port} of the cluster's nodes
         * @return this builder
         */
        public Builder addresses(String... hostPorts) {
            List<String> list = new ArrayList<>();
            for (String hp : hostPorts) {
                list.add(AmqpUri.withPort(hp, tls ? 5671 : 5672));
            }
            this.addresses = list;
            return this;
        }

        /**
         * User and password (default guest/guest). Never logged.
         *
         * @param username the user name
         * @param password the password
         * @return this builder
         */
        public Builder credentials(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /**
         * The virtual host (default "/").
         *
         * @param virtualHost the virtual host, not encoded
         * @return this builder
         */
        public Builder virtualHost(String virtualHost) {
            this.virtualHost = virtualHost;
            return this;
        }

        /**
         * Connect with TLS using this context; host names are always verified. Implies amqps.
         *
         * @param sslContext the TLS context; null keeps the current TLS setting (from an amqps URI: the JVM default)
         * @return this builder
         */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            this.tls = sslContext != null || tls;
            return this;
        }

        /**
         * A prefix for every exchange and queue name ({@code <namespace>.courier.events}); default none.
         *
         * @param namespace the prefix, or null for none
         * @return this builder
         */
        public Builder namespace(String namespace) {
            this.namespace = namespace;
            return this;
        }

        /**
         * The events topic exchange (default {@value #DEFAULT_EVENTS_EXCHANGE}).
         *
         * @param name the exchange's name
         * @return this builder
         */
        public Builder eventsExchange(String name) {
            this.eventsExchange = name;
            return this;
        }

        /**
         * The commands direct exchange (default {@value #DEFAULT_COMMANDS_EXCHANGE}).
         *
         * @param name the exchange's name
         * @return this builder
         */
        public Builder commandsExchange(String name) {
            this.commandsExchange = name;
            return this;
        }

        /**
         * Classic (default) or quorum queues. Must match the queues that already exist.
         *
         * @param queueType classic or quorum
         * @return this builder
         */
        public Builder queueType(QueueType queueType) {
            this.queueType = queueType;
            return this;
        }

        /**
         * Unacked messages per consumer; 0 (default) uses the bus's prefetch.
         *
         * @param prefetch unacked messages per consumer, or 0 for the bus's prefetch
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Published messages waiting for their confirm at most (default {@value #DEFAULT_CONFIRM_WINDOW}).
         *
         * @param confirmWindow at least 1; a publish beyond it waits for room, up to the bus's publish timeout
         * @return this builder
         */
        public Builder confirmWindow(int confirmWindow) {
            this.confirmWindow = confirmWindow;
            return this;
        }

        /**
         * The largest message body, in bytes (default 16 MiB): a larger publish fails; a larger
         * incoming message is never read and goes to the dead letter with its headers and the reason.
         *
         * @param bytes the largest body, in bytes
         * @return this builder
         */
        public Builder maxMessageSize(int bytes) {
            this.maxMessageSize = bytes;
            return this;
        }

        /**
         * How long start() keeps retrying the first connect (default 30 s).
         *
         * @param startTimeout how long the first connect is retried before {@code start()} fails
         * @return this builder
         */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * The AMQP heartbeat (default 30 s): how soon a silent broker is noticed.
         *
         * @param heartbeat the heartbeat interval (whole seconds on the wire)
         * @return this builder
         */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * The longest pause between reconnect attempts (default 5 s). Pauses start at 100 ms and double,
         * each lowered by a random part of up to half (so services that lost the broker together do not
         * return in step); they start over only after a connection stayed up for 30 s (or twice this
         * setting, if longer), so a connection that keeps dropping right away backs off.
         *
         * @param maxReconnectDelay the cap of the pause between reconnect attempts
         * @return this builder
         */
        public Builder maxReconnectDelay(Duration maxReconnectDelay) {
            this.maxReconnectDelay = maxReconnectDelay;
            return this;
        }

        /**
         * The connection name shown in RabbitMQ's management UI (default courier-service-instance).
         *
         * @param connectionName the name, also the prefix of the transport's thread names; null for the default
         * @return this builder
         */
        public Builder connectionName(String connectionName) {
            this.connectionName = connectionName;
            return this;
        }

        /**
         * A hook on amqp-client's {@code ConnectionFactory}, called once when the transport starts,
         * after Courier's own settings and before both connections open: set a metrics collector
         * (e.g. amqp-client's Micrometer one), NIO, socket or TLS options, client properties, without
         * forking transport code. Automatic recovery, topology recovery and the inbound body cap are set
         * back to Courier's values afterwards (Courier recovers its connections itself); the host,
         * credentials and virtual host come from this builder. An exception from the hook fails
         * {@code start()}.
         *
         * @param customizer called with Courier's configured factory
         * @return this builder
         */
        public Builder connectionFactory(java.util.function.Consumer<? super ConnectionFactory> customizer) {
            this.customizer = customizer;
            return this;
        }

        /**
         * Checks every setting and builds an unstarted transport.
         *
         * @return an unstarted transport (the bus starts it)
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public AmqpTransport build() {
            AmqpConfig cfg = new AmqpConfig(addresses, username, password, virtualHost, tls, sslContext,
                    namespace, eventsExchange, commandsExchange, queueType, prefetch, confirmWindow, maxMessageSize,
                    startTimeout, heartbeat, maxReconnectDelay, connectionName);
            List<String> p = new ArrayList<>(problems);
            p.addAll(cfg.problems());
            if (!p.isEmpty()) {
                throw new ConfigurationException(p);
            }
            return new AmqpTransport(cfg, customizer);
        }
    }
}
