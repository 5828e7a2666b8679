package dev.courier.websocket.hub;

import dev.courier.ConfigurationException;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.websocket.protocol.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket hub: a server that browsers and light clients (and Courier services through
 * {@link dev.courier.websocket.WebSocketTransport}) connect to, with the routing semantics of every Courier transport —
 * fan-out of events per service, competing consumers within a service, commands to one handler,
 * request/reply, confirms, per-service dead letters.
 *
 * <pre>{@code
 * WebSocketHub hub = WebSocketHub.builder()
 *         .port(8025)
 *         .authenticator(Authenticator.tokens(Map.of(token, WebSocketPrincipal.of("shop", "service:*", "publish:*", "send:*"))))
 *         .build()
 *         .start();
 * }</pre>
 *
 * <p><b>Routing.</b> Standalone (the default), the hub routes through a private in-memory broker:
 * nothing survives a restart. With {@link Builder#backbone(Transport, Duration)} it routes through another
 * Courier transport (AMQP, MQTT), so several hubs can serve clients while the broker keeps the
 * messages. A connection may subscribe as a member of a service (at-least-once: deliveries are
 * acked by the client and handed to another member when it goes away) or as itself ("personal",
 * for browser tabs): then it gets its own copy of each event, filtered to the events its principal
 * may see — those whose CloudEvents {@code subject} is the principal's name, or whose
 * {@code correlationid} is the id of a message this connection sent.
 *
 * <p><b>Security, on by default.</b> Authentication at the handshake ({@link Authenticator},
 * answered with HTTP 401 when refused), per-operation authorization with wildcards
 * ({@link Authorizer}), a rate limit per principal, an origin allowlist, maximum message size,
 * maximum connections in total and per principal, handshake and idle (ping/pong) timeouts, a bounded
 * send queue per connection that cuts off slow readers, TLS with {@link Builder#sslContext}.
 * The protocol is specified in docs/websocket-protocol.md.
 *
 * <p>A hub is started once and closed once; a restart is a new instance on the same port (the
 * address is reused).
 */
public final class WebSocketHub implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    /** Default maximum size of one message (frame or fragmented message): 1 MiB of payload plus 64 KiB of envelope. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = Frames.DEFAULT_MAX_MESSAGE_BYTES;
    /**
     * Default maximum of each CloudEvents attribute a client sets ({@link dev.courier.spi.Limits#ATTRIBUTES}:
     * id, subject, type, …), in UTF-8 bytes; a message over it is refused with {@code too_large}.
     */
    public static final int DEFAULT_MAX_ATTRIBUTE_BYTES = Frames.DEFAULT_MAX_ATTRIBUTE_BYTES;
    /**
     * Open connections in total by default.
     *
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /**
     * Open connections per principal by default.
     *
     */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL = 100;
    /**
     * Frames per second per principal by default.
     *
     */
    public static final double DEFAULT_MESSAGES_PER_SECOND = Frames.DEFAULT_MESSAGES_PER_SECOND;
    /**
     * Frames a principal may send at once above its rate by default.
     *
     */
    public static final int DEFAULT_BURST = 200;
    /**
     * Time to complete the WebSocket handshake after TCP accept, by default.
     *
     */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /**
     * The ping interval by default.
     *
     */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Frames waiting to be written to one client, by default, before it is cut off as a slow reader.
     *
     */
    public static final int DEFAULT_MAX_QUEUED_FRAMES = 10_000;
    /**
     * Bytes waiting to be written to one client, by default, before it is cut off as a slow reader (16 MiB).
     *
     */
    public static final long DEFAULT_MAX_QUEUED_BYTES = 16L * 1024 * 1024;
    /**
     * Standalone retention by default: messages per queue.
     *
     */
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;

    private final HubConfig s;
    private final ScheduledExecutorService timer;
    private final Transport backbone;
    private final HubServer server;
    private final HubHttp http;
    private volatile boolean closed;

    private WebSocketHub(HubConfig s) {
        this.s = s;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "courier-hub-timer-" + s.hubId());
            t.setDaemon(true);
            return t;
        });
        this.backbone = s.backbone() != null ? s.backbone()
                : (s.broker() != null ? s.broker() : InMemoryBroker.create(s.queueCapacity(), s.deadLetterCapacity())).connect();
        Tickets tickets = new Tickets(s.ticketTtl());
        this.server = new HubServer(s, backbone, timer, tickets);
        this.http = s.httpPort() >= 0 ? new HubHttp(s, server, tickets) : null;
    }

    /**
     * A builder with the secure defaults; an {@link Builder#authenticator} is required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds and starts accepting; fails with an exception naming the address when it cannot.
     *
     * Blocks the calling thread until the hub listens (and its backbone transport has connected).
     *
     * @return this hub, listening
     * @throws IllegalStateException when it cannot listen on the host and port (the message names them); a backbone that cannot connect fails with its own exception
     */
    public WebSocketHub start() {
        // standalone: publishes never wait for room; a full queue refuses at once with a clear error
        Duration wait = s.backbone() != null ? s.backbonePublishTimeout() : Duration.ZERO;
        backbone.start(new TransportContext("courierhub", s.hubId(), wait));
        server.backboneStarted();
        if (http != null) {
            http.start();
            server.ownOrigins(http.origins());
        }
        server.startAndWait();
        timer.scheduleWithFixedDelay(server::nudgeWrites, 100, 100, java.util.concurrent.TimeUnit.MILLISECONDS);
        log.info("WebSocket hub {} listening on {}{} ({})", s.hubId(), uri(),
                http != null ? ", HTTP on " + http.uri() : "", s.backbone() != null ? "bridged to " + backbone.describe()
                        : "standalone");
        return this;
    }

    /**
     * The {@code ws://} (or {@code wss://}) URI clients connect to.
     *
     * @return the URI, with the bound port
     */
    public URI uri() {
        return URI.create((s.sslContext() != null ? "wss" : "ws") + "://" + hostForUri() + ":" + port() + "/");
    }

    /**
     * The hub's HTTP address (JavaScript client at {@code /courier.js}, {@code /health}), or null when disabled.
     *
     * @return the URI, or null
     */
    public URI httpUri() {
        return http == null ? null : http.uri();
    }

    /**
     * The WebSocket port (useful with port 0).
     *
     * @return the bound port
     */
    public int port() {
        return server.boundPort();
    }

    /**
     * This hub's id (unique per instance unless set).
     *
     * @return the id
     */
    public String id() {
        return s.hubId();
    }

    /**
     * Open client connections.
     *
     * @return the number of open connections now
     */
    public int connectionCount() {
        return server.sessionCount();
    }

    /** The connections the hub holds and their state; for tests and diagnostics. */
    String describeConnections() {
        return server.describeConnections();
    }

    /** Personal routes (one per event name some connection subscribed to personally); for tests. */
    int personalRouteCount() {
        return server.personal.routeCount();
    }

    /** Message ids claimed by connected principals; for tests. */
    int claimedIdCount() {
        return server.messageIds.size();
    }

    /** Cuts every client connection without a close handshake, as a network failure would; for tests. */
    void dropConnections() {
        server.dropAll();
    }

    private String hostForUri() {
        String h = s.host();
        return h.equals("0.0.0.0") || h.equals("::") ? "127.0.0.1" : h.contains(":") ? "[" + h + "]" : h;
    }

    /** Closes every connection (clients reconnect to the next instance), the HTTP server and the backbone. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        if (http != null) {
            http.stop();
        }
        try {
            backbone.close();
        } catch (RuntimeException e) {
            log.warn("hub {}: closing the backbone failed: {}", s.hubId(), e.toString());
        }
        timer.shutdownNow();
        log.info("WebSocket hub {} closed", s.hubId());
    }

    /** Builds a hub; {@link #build()} reports every problem at once, naming the setting. */
    public static final class Builder {
        private final HubConfig.Draft s = new HubConfig.Draft();

        private Builder() {
        }

        /**
         * The interface to bind; default {@code 127.0.0.1} (use {@code 0.0.0.0} to serve other machines).
         *
         * @param host a host name or address to bind
         * @return this builder
         */
        public Builder host(String host) {
            s.host = host;
            return this;
        }

        /**
         * The WebSocket port; default 0 (any free port, see {@link WebSocketHub#port()}).
         *
         * @param port 0 to 65535
         * @return this builder
         */
        public Builder port(int port) {
            s.port = port;
            return this;
        }

        /**
         * The HTTP port (JavaScript client, health, tickets, your pages); 0 = any free port (default), -1 = no HTTP.
         *
         * @param port -1 to 65535
         * @return this builder
         */
        public Builder httpPort(int port) {
            s.httpPort = port;
            return this;
        }

        /**
         * Serves {@code route} at {@code path} on the hub's HTTP server (e.g. your page). A route gets
         * every request whose path starts with {@code path}, unless a longer route's path (or one of the
         * hub's own: {@code /courier.js}, {@code /health}, {@code /courier/ticket}, {@code /ops}) matches.
         *
         * @param path the path prefix, starting with {@code /}, e.g. {@code /}; never null
         * @param route answers the requests; never null
         * @return this builder
         */
        public Builder httpRoute(String path, HttpRoute route) {
            s.httpRoutes.put(Objects.requireNonNull(path, "path"), Objects.requireNonNull(route, "route"));
            return this;
        }

        /**
         * Serves the operations page ({@code /ops/}: dead letters, replay, discard, traffic) on the hub's
         * HTTP server, behind this hub's authenticator and authorizer ({@code operate:<service>} grants).
         * The hub closes {@code operations} when it closes. See {@link Operations}.
         *
         * @param operations the page's services and listeners; never null
         * @return this builder
         */
        public Builder operations(Operations operations) {
            s.operations = Objects.requireNonNull(operations, "operations");
            return this;
        }

        /**
         * A stable id for this hub instance (names its personal-subscription group on a backbone).
         *
         * @param hubId letters, digits, {@code .}, {@code _} or {@code -}
         * @return this builder
         */
        public Builder id(String hubId) {
            s.hubId = hubId;
            return this;
        }

        /**
         * Required: who a connection is.
         *
         * @param authenticator never null
         * @return this builder
         */
        public Builder authenticator(Authenticator authenticator) {
            s.authenticator = authenticator;
            return this;
        }

        /**
         * What a principal may do; default {@link Authorizer#GRANTS}.
         *
         * @param authorizer never null
         * @return this builder
         */
        public Builder authorizer(Authorizer authorizer) {
            s.authorizer = authorizer;
            return this;
        }

        /**
         * Browser origins allowed to connect, e.g. {@code https://shop.example.com}. A handshake with an
         * {@code Origin} header not in this list (nor the hub's own HTTP origin) is refused with 403.
         * Non-browser clients send no Origin and are not affected.
         *
         * @param origins origins ({@code scheme://host[:port]}); added to those already allowed
         * @return this builder
         */
        public Builder allowedOrigins(String... origins) {
            s.allowedOrigins.addAll(List.of(origins));
            return this;
        }

        /**
         * Whether pages served by the hub's own HTTP server may connect (default true).
         *
         * @param allow false to refuse the hub's own pages
         * @return this builder
         */
        public Builder allowOwnOrigin(boolean allow) {
            s.allowOwnOrigin = allow;
            return this;
        }

        /**
         * Largest message (one frame, or the sum of a fragmented message's frames); larger ones close the connection with 1009.
         *
         * @param bytes at least 1024 (default {@value WebSocketHub#DEFAULT_MAX_MESSAGE_BYTES})
         * @return this builder
         */
        public Builder maxMessageBytes(int bytes) {
            s.maxMessageBytes = bytes;
            return this;
        }

        /**
         * Largest CloudEvents attribute (id, subject, type, correlationid, …) in UTF-8 bytes (default 256,
         * at least 64); a message over it is refused with {@code too_large}. It also bounds the subject
         * the hub matches against {@code subject:} grant patterns.
         *
         * @param bytes at least {@link dev.courier.spi.Limits#MIN_ATTRIBUTE_BYTES}
         * @return this builder
         */
        public Builder maxAttributeBytes(int bytes) {
            s.maxAttributeBytes = bytes;
            return this;
        }

        /**
         * Connections in total and per principal; past them the handshake is answered with 503 or 429.
         *
         * @param total positive (default {@value WebSocketHub#DEFAULT_MAX_CONNECTIONS})
         * @param perPrincipal positive (default {@value WebSocketHub#DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL})
         * @return this builder
         */
        public Builder maxConnections(int total, int perPrincipal) {
            s.maxConnections = total;
            s.maxConnectionsPerPrincipal = perPrincipal;
            return this;
        }

        /**
         * Frames per second per principal, with a burst; past it frames are refused with an error frame.
         *
         * @param messagesPerSecond positive (default 100)
         * @param burst positive (default {@value WebSocketHub#DEFAULT_BURST})
         * @return this builder
         */
        public Builder rateLimit(double messagesPerSecond, int burst) {
            s.messagesPerSecond = messagesPerSecond;
            s.burst = burst;
            return this;
        }

        /**
         * Time to complete the WebSocket handshake after TCP accept.
         *
         * @param timeout positive (default 10 s)
         * @return this builder
         */
        public Builder handshakeTimeout(Duration timeout) {
            s.handshakeTimeout = timeout;
            return this;
        }

        /**
         * Ping interval; a connection that does not answer pings within about 1.5 times it is closed.
         *
         * @param timeout positive (default 30 s)
         * @return this builder
         */
        public Builder idleTimeout(Duration timeout) {
            s.idleTimeout = timeout;
            return this;
        }

        /**
         * Frames and bytes waiting to be written to one client before it is cut off as a slow reader.
         *
         * @param frames positive (default {@value WebSocketHub#DEFAULT_MAX_QUEUED_FRAMES})
         * @param bytes positive (default 16 MiB)
         * @return this builder
         */
        public Builder maxQueued(int frames, long bytes) {
            s.maxQueuedFrames = frames;
            s.maxQueuedBytes = bytes;
            return this;
        }

        /**
         * Standalone retention: messages per queue (per service and message) and dead letters per service.
         *
         * @param messagesPerQueue positive (default {@value WebSocketHub#DEFAULT_QUEUE_CAPACITY})
         * @param deadLettersPerService positive
         * @return this builder
         */
        public Builder retention(int messagesPerQueue, int deadLettersPerService) {
            s.queueCapacity = messagesPerQueue;
            s.deadLetterCapacity = deadLettersPerService;
            return this;
        }

        /**
         * Routes through this (unstarted) transport instead of a private in-memory broker — AMQP or
         * MQTT for scale-out. The hub starts and closes it. {@code publishTimeout} bounds how long a
         * client's publish waits for the backbone's confirm.
         *
         * @param transport an unstarted transport the hub owns from now on
         * @param publishTimeout positive
         * @return this builder
         */
        public Builder backbone(Transport transport, Duration publishTimeout) {
            s.backbone = transport;
            s.backbonePublishTimeout = publishTimeout;
            return this;
        }

        /**
         * Standalone, routes through this in-memory broker instead of a private one, so that it outlives
         * the hub: tests restart a hub on the same port the way a bridged hub restarts while its broker
         * keeps the messages.
         */
        Builder inMemoryBroker(InMemoryBroker broker) {
            s.broker = broker;
            return this;
        }

        /**
         * Serves {@code wss://} with this context.
         *
         * @param context the server's TLS context, or null for plain {@code ws://}
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            s.sslContext = context;
            return this;
        }

        /**
         * Threads decoding frames (default: the number of cores, at least 4).
         *
         * @param threads positive
         * @return this builder
         */
        public Builder ioThreads(int threads) {
            s.ioThreads = threads;
            return this;
        }

        /**
         * Lifetime of a one-time connection ticket (default 30 s).
         *
         * @param ttl positive
         * @return this builder
         */
        public Builder ticketTtl(Duration ttl) {
            s.ticketTtl = ttl;
            return this;
        }

        /**
         * A hub, not yet started.
         *
         * @return the hub; call {@link WebSocketHub#start()}
         * @throws dev.courier.ConfigurationException naming every invalid setting at once (an authenticator is required)
         */
        public WebSocketHub build() {
            HubConfig config = s.freeze();
            List<String> problems = config.problems();
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new WebSocketHub(config);
        }
    }

    static long millis(Duration d) {
        return TimeUnit.NANOSECONDS.toMillis(d.toNanos());
    }
}
