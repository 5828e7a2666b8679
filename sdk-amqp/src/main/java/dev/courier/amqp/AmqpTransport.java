package dev.courier.amqp;

import com.rabbitmq.client.Connection;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
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

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The AMQP 0-9-1 transport over RabbitMQ ({@code amqp://} and {@code amqps://}), configured by an
 * {@link AmqpConfig}. It keeps two connections (publishing and consuming) up with the support
 * package's {@code Reconnector}, publishes with asynchronous confirms in a bounded window
 * ({@code ConfirmTracker}, {@code PublishGate}), and consumes with manual acks and a prefetch.
 * Topology ({@link Topology}), names ({@link Names}), the wire mapping ({@link Wire}), delayed
 * redelivery through TTL queues ({@link Delays}) and the frame guard ({@link FrameGuard}) are this
 * module's own. See docs/transport-amqp.md.
 *
 * <p>Errors: {@link #start} fails with {@link dev.courier.TransportConnectException} when no broker
 * answered within the start timeout, and with {@link ConfigurationException} for refused credentials
 * or a bad setting; {@link #publish} never throws — its future fails.
 *
 * <pre>{@code
 * MessageBus.builder("ordering").transport("amqp://guest:guest@localhost:5672/")...
 * MessageBus.builder("ordering").transport(AmqpTransport.of(AmqpConfig.builder()
 *         .uri("amqps://app:secret@rabbit-1:5671,rabbit-2:5671/prod")
 *         .queueType(AmqpTransport.QueueType.QUORUM)
 *         .sslContext(myCaAndClientCert)
 *         .build()))...
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

    private final AmqpConfig cfg;
    private final Names names;
    private final Topology topology;
    private final Subscriptions subscriptions = new Subscriptions(this);
    private final ReplyGuard replies = new ReplyGuard();
    private final Delays delays = new Delays(this);
    private final EdgeDeadLetters edge = new EdgeDeadLetters(this);
    private volatile Session session;
    private volatile TransportContext context;
    private volatile boolean closing;

    private AmqpTransport(AmqpConfig cfg) {
        this.cfg = cfg;
        this.names = new Names(cfg.namespace(), cfg.eventsExchange(), cfg.commandsExchange());
        this.topology = new Topology(names, cfg.queueType());
    }

    /**
     * A transport from a URI; see {@link AmqpConfig.Builder#uri(String)}.
     *
     * @param uri an {@code amqp://} or {@code amqps://} URI
     * @return an unstarted transport (the bus starts it)
     * @throws ConfigurationException naming every bad setting at once
     */
    public static AmqpTransport of(String uri) {
        return new AmqpTransport(AmqpConfig.fromUri(uri));
    }

    /**
     * A transport with these settings.
     *
     * @param config the settings
     * @return an unstarted transport (the bus starts it)
     * @throws ConfigurationException naming every bad setting at once
     */
    public static AmqpTransport of(AmqpConfig config) {
        if (config == null) {
            throw new ConfigurationException("config must not be null");
        }
        List<String> problems = config.problems();
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return new AmqpTransport(config);
    }

    /**
     * Connects both connections, retrying a broker that is down until the start timeout (the
     * config's {@code startTimeout} when set, else {@link TransportContext#startTimeout()}), and
     * declares the exchanges and the service's dead-letter queue. Blocks the caller.
     *
     * @throws dev.courier.TransportConnectException when no broker answered within the start timeout
     * @throws ConfigurationException               refused credentials, a bad setting, a second start
     */
    @Override
    public synchronized void start(TransportContext ctx) {
        if (context != null) {
            throw new ConfigurationException("AMQP transport already started; each bus needs its own transport");
        }
        context = ctx;
        String name = cfg.connectionName() != null ? cfg.connectionName() : "courier-" + ctx.service() + "-" + ctx.instanceId();
        try {
            session = Session.open(this, ctx, name, cfg.startTimeout() != null ? cfg.startTimeout() : ctx.startTimeout());
            String dlq = names.deadLetterQueue(ctx.service());
            topology.ensure(dlq, ch -> topology.declareDurable(ch, dlq), session.publisher,
                    System.nanoTime() + ctx.publishTimeout().toNanos());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info("AMQP transport connected to {} as {} ({} queues)", cfg.redactedUri(), name,
                cfg.queueType().name().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * Closes: cancels the consumers, waits for outstanding confirms (up to the publish timeout, at
     * most 5 s), fails what is left with {@code PublishException}, closes both connections (which
     * gives unsettled messages back to RabbitMQ). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        subscriptions.closeAll();
        Session ses = session;
        if (ses != null) {
            Duration five = Duration.ofSeconds(5);
            ses.close(context == null || context.publishTimeout().compareTo(five) > 0 ? five : context.publishTimeout());
        }
        if (context != null) {
            log.info("AMQP transport to {} closed", cfg.redactedUri());
        }
    }

    /**
     * Publishes one message. Never throws: the future fails with {@code PublishException} (too
     * large, a header AMQP cannot carry, not started or closed), {@code UnroutableException} (a
     * mandatory message nobody consumes), or {@code PublishTimeoutException} (no room in the window,
     * or no confirm, within the publish timeout). It completes on RabbitMQ's confirm, on the
     * transport's confirm thread. Blocks the caller while the confirm window is full (at most the
     * publish timeout), never on the socket: the transport's writer thread sends the message.
     */
    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        TransportContext ctx = context;
        Session ses = session;
        if (ctx == null || ses == null || closing) {
            return CompletableFuture.failedFuture(new PublishException("AMQP transport is "
                    + (closing ? "closed" : "not started") + "; cannot publish to " + to));
        }
        String what = to + " " + headers.getOrDefault(Headers.ID, "(no id)");
        Names.Route route = names.route(to);
        Publisher publisher = ses.publisher;
        if (to.kind() == Address.Kind.COMMAND) {
            replies.track(headers);
        } else if (to.kind() == Address.Kind.DEAD_LETTER) {
            try {
                topology.ensure(route.routingKey(), ch -> topology.declareDurable(ch, route.routingKey()), publisher,
                        System.nanoTime() + ctx.publishTimeout().toNanos());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e instanceof PublishException ? e
                        : new PublishException("could not declare the dead-letter queue " + route.routingKey(), e));
            }
        }
        return publisher.publish(route.exchange(), route.routingKey(), route.mandatory(), headers, body, what,
                ctx.publishTimeout(), cfg.maxMessageSize());
    }

    /**
     * Declares the queue (and binding) and starts a consumer on its own channel.
     *
     * @throws CourierException when the transport is not started or closed, or RabbitMQ refused the
     *                          declaration ({@link ConfigurationException} for a clashing queue type)
     */
    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        requireOpen();
        int pf = cfg.prefetch() > 0 ? cfg.prefetch() : Math.max(1, Math.min(prefetch, 65_535));
        return subscriptions.add(address, group, pf, callback, session.subLink.current());
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return new AmqpDeadLetters(this, names.deadLetterQueue(service));
    }

    /** @throws CourierException when not started or closed */
    void requireOpen() {
        if (context == null || closing || session == null) {
            throw new CourierException("AMQP transport is " + (closing ? "closed" : "not started"));
        }
    }

    @Override
    public boolean isConnected() {
        Session ses = session;
        return !closing && ses != null && ses.pubLink.current() != null && ses.subLink.current() != null;
    }

    @Override
    public Set<Capability> capabilities() {
        // a delivery is bound to its channel: a reconnect makes it stale and RabbitMQ delivers the message again
        return EnumSet.of(Capability.REQUEUE, Capability.TAKEOVER_ON_DISCONNECT, Capability.LARGE_MESSAGES,
                Capability.UNROUTABLE_DETECTED);
    }

    /**
     * What AMQP 0-9-1 on this broker can carry: {@code id}, {@code correlationid}, {@code type} and
     * {@code datacontenttype} go into short-string properties of at most 255 bytes; all headers travel
     * in one content-header frame of the negotiated {@code frame_max} (8 KiB of it kept for the
     * properties and the per-header encoding); bodies up to {@code maxMessageSize}.
     */
    @Override
    public Limits limits() {
        Publisher p = publisher();
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
        Publisher p = publisher();
        return p != null ? p.gate() : new dev.courier.spi.support.PublishGate(cfg.confirmWindow());
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

    AmqpConfig config() {
        return cfg;
    }

    TransportContext context() {
        return context;
    }

    Topology topology() {
        return topology;
    }

    Names names() {
        return names;
    }

    Delays delays() {
        return delays;
    }

    EdgeDeadLetters edge() {
        return edge;
    }

    ReplyGuard replies() {
        return replies;
    }

    Subscriptions subscriptions() {
        return subscriptions;
    }

    /** The confirm-tracking publisher, null before start; for tests that go past the transport's own checks. */
    Publisher publisher() {
        Session ses = session;
        return ses == null ? null : ses.publisher;
    }

    ScheduledExecutorService scheduler() {
        Session ses = session;
        return ses == null ? null : ses.scheduler;
    }

    /** The thread that sends consumers' held-back acks ({@link Acks}), null before start. */
    ScheduledExecutorService acker() {
        Session ses = session;
        return ses == null ? null : ses.acker;
    }

    boolean isClosing() {
        return closing;
    }

    Connection consumeConnection() {
        Session ses = session;
        return ses == null ? null : ses.subLink.current();
    }

    /** @return the running parts, or null before start */
    Session session() {
        return session;
    }

    /** Every exchange and queue name this transport declared, for test clean-up. */
    List<String> knownNames() {
        List<String> out = new ArrayList<>(topology.used());
        out.add(names.eventsExchange());
        out.add(names.commandsExchange());
        return out;
    }

    /** Drops both connections without acking or closing anything, as a crashed process would; for tests. */
    void kill() {
        closing = true;
        Session ses = session;
        if (ses != null) {
            ses.kill();
        }
    }
}
