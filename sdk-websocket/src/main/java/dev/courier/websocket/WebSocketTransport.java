package dev.courier.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.CourierException;
import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Backoff;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The client transport ({@code ws://host:port/} or {@code wss://}, one hub or several tried in
 * order): a Courier service or tool connected to a Courier WebSocket hub ({@code WebSocketHub}, module
 * {@code courier-websocket-hub}). One WebSocket connection carries publishes (each confirmed by the
 * hub), subscriptions, deliveries and settles. Made with {@link #of(String)} or {@link #of(WebSocketConfig)}.
 *
 * <p>It builds on the support package like every transport: {@code start} retries with the
 * reconnect backoff until the context's start timeout, then throws
 * {@link dev.courier.TransportConnectException} (a refused token ends it at once with a
 * {@link dev.courier.ConfigurationException}); after a drop it reconnects, subscribes again and sends
 * again every publish not yet confirmed (same message id: consumers suppress the duplicate); a
 * publish waits for room in the window and for its confirm up to the publish timeout, then fails
 * with {@link dev.courier.PublishTimeoutException}. Deliveries not settled when the connection
 * dropped are given to another consumer by the hub.
 *
 * <p>The parts: {@link HubLink} (connections and reconnects), {@link ClientPublisher} (publishes and
 * confirms), {@link ClientSubscriptions} (subscriptions and deliveries), {@link ControlRequests}
 * (request/response of control frames), {@link HubWelcome} (what the hub said about itself),
 * {@link WebSocketConfig} (settings).
 */
public final class WebSocketTransport implements Transport, dev.courier.spi.DeadLetterBrowsing,
        dev.courier.spi.WireDescription {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    private final WebSocketConfig config;
    private final ScheduledExecutorService scheduler;
    /** Completes futures off the read thread, so a continuation that waits on the hub cannot stall reading. */
    private final ExecutorService completer;
    private final HubLink link;
    private final ClientPublisher publisher;
    private final ControlRequests requests;
    private final ClientSubscriptions subscriptions;
    private volatile Duration publishTimeout = Duration.ofSeconds(10);
    private volatile String source = "/courier/client";
    private volatile boolean closed;

    WebSocketTransport(WebSocketConfig config, Backoff backoff) {
        this.config = config;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "courier-ws-client-timer");
            t.setDaemon(true);
            return t;
        });
        this.completer = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "courier-ws-client-confirms");
            t.setDaemon(true);
            return t;
        });
        this.link = new HubLink(this, config, backoff, scheduler);
        this.publisher = new ClientPublisher(config.describe(), link, config.maxInFlight(), completer, scheduler);
        this.requests = new ControlRequests(config.describe(), completer, scheduler);
        this.subscriptions = new ClientSubscriptions(this);
    }

    /**
     * A transport to the hub(s) of a URI ({@link WebSocketConfig#of(String)} explains its form).
     *
     * @param uri for example {@code ws://hub:8080/?token=...} or {@code wss://h1:443,h2:443/}
     * @return an unstarted transport
     * @throws dev.courier.ConfigurationException naming every problem of the URI at once
     */
    public static WebSocketTransport of(String uri) {
        return of(WebSocketConfig.of(uri));
    }

    /**
     * A transport with these settings.
     *
     * @param config the settings
     * @return an unstarted transport
     */
    public static WebSocketTransport of(WebSocketConfig config) {
        return new WebSocketTransport(config, Backoff.custom().initialDelay(config.reconnectMin())
                .maxDelay(config.reconnectMax()).build());
    }

    /** @return the settings (the token redacted by their {@code toString}) */
    public WebSocketConfig config() {
        return config;
    }

    // ---- parts ----------------------------------------------------------------------------------

    HubLink link() {
        return link;
    }

    ClientPublisher publisher() {
        return publisher;
    }

    ControlRequests requests() {
        return requests;
    }

    ClientSubscriptions subscriptions() {
        return subscriptions;
    }

    boolean isClosed() {
        return closed;
    }

    String source() {
        return source;
    }

    Duration publishTimeout() {
        return publishTimeout;
    }

    /** A control request on {@code c}, answered within the publish timeout. */
    CompletableFuture<JsonNode> request(ClientConnection c, String type, ObjectNode data) {
        return requests.request(c, type, data, source, publishTimeout);
    }

    /** Waits for a control request (a synchronous SPI call); its failure is thrown as a CourierException. */
    JsonNode await(CompletableFuture<JsonNode> f, String what) {
        return ControlRequests.await(f, what, publishTimeout);
    }

    // ---- Transport ------------------------------------------------------------------------------

    /**
     * Connects to the first hub that answers, trying the address list again with the reconnect
     * backoff until {@link TransportContext#startTimeout()}. Blocks the caller.
     *
     * @throws dev.courier.TransportConnectException when no hub answered within the start timeout
     * @throws dev.courier.ConfigurationException    when a hub refused the token or the handshake
     * @throws CourierException                      when the transport was closed
     */
    @Override
    public void start(TransportContext context) {
        if (closed) {
            throw new CourierException("the WebSocket transport to " + describe() + " is closed; create a new one");
        }
        publishTimeout = context.publishTimeout();
        source = "/courier/" + context.service() + "/" + context.instanceId();
        try {
            link.start(context.startTimeout());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        log.info("connected to hub {}", describe());
    }

    /**
     * Publishes one message. Blocks the caller only while the publish window is full (up to the
     * publish timeout); never throws for runtime conditions.
     *
     * @return completes on the hub's confirm, on a transport completion thread; fails with
     *         {@link dev.courier.PublishTimeoutException}, {@link dev.courier.UnroutableException} or
     *         {@link PublishException}
     */
    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        if (closed) {
            return CompletableFuture.failedFuture(new PublishException("the WebSocket transport to " + describe()
                    + " is closed; cannot publish to " + to));
        }
        return publisher.publish(to, headers, body, publishTimeout);
    }

    /**
     * Subscribes; waits for a connection and the hub's confirm, each up to the publish timeout.
     *
     * @throws CourierException when the transport is closed, or the hub refused or did not answer
     */
    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed) {
            throw new CourierException("the WebSocket transport to " + describe() + " is closed; cannot subscribe to "
                    + address);
        }
        return subscriptions.subscribe(address, group, prefetch, callback);
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return new ClientDeadLetters(this, service);
    }

    /**
     * The hub's limits, as its welcome states them: attributes {@code maxAttributeBytes} (default 256
     * bytes); header values 16 KiB and all headers 64 KiB (at most half the frame); the body
     * {@code maxMessageBytes} (default 1 MiB + 64 KiB) less 8 KiB for the envelope — a JSON body
     * travels as it is. A body that is not one JSON value travels in base64 (4/3 of its size): the
     * exact frame is measured again before each send, and a publish over the hub's frame size fails
     * then, naming the limit. Each limit is at most the hub's backbone's, when the welcome states them.
     */
    @Override
    public Limits limits() {
        HubWelcome hub = link.hub();
        int frame = hub.maxMessageBytes();
        int headers = Math.max(Limits.MIN_HEADERS_BYTES, Math.min(64 * 1024, frame / 2));
        int attribute = Math.max(Limits.MIN_ATTRIBUTE_BYTES, Math.min(hub.maxAttributeBytes(), headers));
        Limits own = new Limits(attribute, Math.max(Limits.MIN_HEADER_VALUE_BYTES, Math.min(headers, 16 * 1024)),
                headers, Math.max(1, frame - 8 * 1024));
        return hub.backboneLimits() == null ? own : own.min(hub.backboneLimits());
    }

    @Override
    public boolean isConnected() {
        return !closed && link.isConnected();
    }

    /**
     * What the hub's backbone can do, as the hub's welcome says (the client itself supports every
     * capability, so this is the intersection). Learnt at {@link #start}; a reconnect to a hub that says
     * otherwise changes it. A hub that does not say (one from before this field) gets none.
     */
    @Override
    public Set<Capability> capabilities() {
        return link.hub().capabilities();
    }

    /** @return the hub, or the address list; never the token */
    @Override
    public String describe() {
        return config.describe();
    }

    /** The publish window: publishes waiting for the hub's confirm, against {@link WebSocketConfig#maxInFlight()}. */
    @Override
    public PublishWindow publishWindow() {
        return publisher.window();
    }

    @Override
    public String protocol() {
        return "ws";
    }

    @Override
    public String host() {
        return config.hostList();
    }

    /** {@code courierwsto} (the frame attribute naming the address) and, for consumers, the subscribe {@code group}. */
    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("courierwsto", address.toString());
        if (group != null) {
            m.put("group", group);
        }
        return m;
    }

    /**
     * Waits for the confirms of what was sent (at most the publish timeout, 10 s at most), then
     * closes: waiting publishes fail with {@link PublishException}, subscriptions end, the
     * connection closes. Blocks the caller; idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (link.isConnected()) {
            publisher.awaitConfirms(System.nanoTime() + Math.min(publishTimeout.toNanos(), TimeUnit.SECONDS.toNanos(10)));
        }
        closed = true;
        subscriptions.closeAll();
        link.close();
        publisher.close();
        requests.failFor(null, "the WebSocket transport to " + describe() + " closed");
        scheduler.shutdownNow();
        completer.shutdown();
    }
}
