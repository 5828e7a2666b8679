package dev.courier.websocket.hub;

import dev.courier.spi.Transport;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.java_websocket.WebSocketImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Java-WebSocket server under a hub: admission at the handshake (protocol, origin, limits,
 * authentication), then one {@link HubSession} per connection. Callbacks never block: Java-WebSocket
 * runs them on its few I/O threads.
 */
final class HubServer extends WebSocketServer {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    final HubConfig s;
    final Transport backbone;
    private final ScheduledExecutorService timer;
    final PersonalRouter personal;
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile Exception startError;
    private final Admission admission;
    /**
     * Message id → the principal whose connections sent it, counted per connection that holds it; freed when
     * the last one lets it go (its 1024 most recent ids, or disconnect).
     */
    final Claims messageIds = new Claims();
    /** Reply address → the principal that consumes it: the first to subscribe owns it. */
    final Claims replyAddresses = new Claims();
    /** What the backbone can do, as the hub offers it to clients; known once the backbone started. */
    private volatile Set<dev.courier.spi.Capability> capabilities = Set.of();
    /** A bridged backbone's limits; null standalone (the hub's own in-memory broker carries what the hub takes). */
    private volatile dev.courier.spi.Limits backboneLimits;

    /** Why a handshake was refused, kept on the connection until it is closed. */
    private static final class Refusal {
        final String reason;

        Refusal(String reason) {
            this.reason = reason;
        }
    }

    HubServer(HubConfig s, Transport backbone, ScheduledExecutorService timer, Tickets tickets) {
        super(new InetSocketAddress(s.host(), s.port()), s.ioThreads(), List.<Draft>of(new HubDraft(s.maxMessageBytes())));
        this.s = s;
        this.backbone = backbone;
        this.timer = timer;
        this.admission = new Admission(s, tickets);
        this.personal = new PersonalRouter(backbone, s.hubId());
        setReuseAddr(true);
        setTcpNoDelay(true);
        setDaemon(true);
        setConnectionLostTimeout((int) Math.max(1, s.idleTimeout().toSeconds()));
        setWebSocketFactory(new HubSocketFactory(s.sslContext(), timer, WebSocketHub.millis(s.handshakeTimeout()),
                s.maxHandshakeBytes()));
    }

    /**
     * Records what the (started) backbone can do and carry, for every welcome: its capabilities, less
     * {@code LARGE_MESSAGES} when this hub's own message limit is under 1 MiB of body plus 8 KiB of envelope,
     * and never {@code DELIVERIES_OUTLIVE_RECONNECTS} (a client's deliveries live on its session);
     * a bridged backbone's limits (standalone, the in-memory broker carries whatever the hub accepts).
     */
    void backboneStarted() {
        java.util.EnumSet<dev.courier.spi.Capability> c = java.util.EnumSet.noneOf(dev.courier.spi.Capability.class);
        c.addAll(backbone.capabilities());
        if (s.maxMessageBytes() < 1024 * 1024 + 8 * 1024) {
            c.remove(dev.courier.spi.Capability.LARGE_MESSAGES);
        }
        // a client's deliveries live on its WebSocket session, which a reconnect replaces, whatever the backbone keeps
        c.remove(dev.courier.spi.Capability.DELIVERIES_OUTLIVE_RECONNECTS);
        capabilities = java.util.Collections.unmodifiableSet(c);
        backboneLimits = s.backbone() != null ? backbone.limits() : null;
    }

    Set<dev.courier.spi.Capability> capabilities() {
        return capabilities;
    }

    dev.courier.spi.Limits backboneLimits() {
        return backboneLimits;
    }

    void ownOrigins(Set<String> origins) {
        admission.ownOrigins(origins);
    }

    void startAndWait() {
        start();
        try {
            if (!started.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("WebSocket hub did not start listening on " + s.host() + ":" + s.port()
                        + " within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the hub", e);
        }
        if (startError != null) {
            throw new IllegalStateException("WebSocket hub cannot listen on " + s.host() + ":" + s.port() + ": " + startError,
                    startError);
        }
    }

    int boundPort() {
        return getPort();
    }

    int sessionCount() {
        return admission.count();
    }

    /** Gives write interest back to connections whose frames wait without it ({@link WriteNudge}); run on the hub's timer. */
    void nudgeWrites() {
        WriteNudge.nudge(getConnections());
    }

    /** For tests and diagnostics: every connection the library holds, with its state. */
    String describeConnections() {
        StringBuilder b = new StringBuilder();
        for (WebSocket c : getConnections()) {
            Object a = c.getAttachment();
            b.append("\n  ").append(c.getRemoteSocketAddress()).append(' ').append(c.getReadyState());
            if (c instanceof WebSocketImpl) {
                WebSocketImpl w = (WebSocketImpl) c;
                b.append(" flushAndClose ").append(w.isFlushAndClose()).append(", buffered ").append(w.hasBufferedData());
                if (w instanceof HubSocketFactory.Guarded) {
                    SendBacklog q = ((HubSocketFactory.Guarded) w).backlog;
                    b.append(", queued ~").append(q.frames(false)).append(" frames/").append(q.bytes()).append(" bytes");
                }
            }
            b.append(a instanceof HubSession ? " session " + ((HubSession) a).describe() : " " + a);
        }
        return "sessions " + admission.count() + ", library connections " + getConnections().size() + b;
    }

    void shutdown() {
        personal.close();
        for (WebSocket c : getConnections()) {
            HubSession session = session(c);
            if (session != null && session.cleanUp() && session.counted()) {
                admission.release(session);
            }
        }
        try {
            stop(2000, "hub closing");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void dropAll() {
        for (WebSocket c : getConnections()) {
            ((WebSocketImpl) c).closeConnection(CloseFrame.ABNORMAL_CLOSE, "connection dropped");
        }
    }

    // ---- admission ---------------------------------------------------------------------------------

    @Override
    public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn, Draft draft, ClientHandshake request)
            throws InvalidDataException {
        ServerHandshakeBuilder response = super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
        String refusal;
        try {
            refusal = admit(conn, request);
        } catch (RuntimeException e) {
            log.warn("hub {}: handshake check failed: {}", s.hubId(), e.toString());
            refusal = "500 Internal Server Error";
        }
        if (refusal != null) {
            conn.setAttachment(new Refusal(refusal));
            response.put(HubDraft.REFUSE, refusal);
            log.debug("hub {}: handshake from {} refused: {}", s.hubId(), conn.getRemoteSocketAddress(), refusal);
        }
        return response;
    }

    /** Null when admitted (a session is attached; it is counted once open); else the HTTP status line to answer. */
    private String admit(WebSocket conn, ClientHandshake request) {
        Admission.Decision d = admission.decide(request);
        if (d.refusal() == null) {
            // feature batch (issue 17): offered in the Courier-Features header or, for browsers, the query
            String offered = request.hasFieldValue(dev.courier.websocket.protocol.Frames.FEATURES_HEADER)
                    ? request.getFieldValue(dev.courier.websocket.protocol.Frames.FEATURES_HEADER)
                    : dev.courier.websocket.protocol.Frames.queryParameter(request.getResourceDescriptor(), "features");
            boolean batch = dev.courier.websocket.protocol.Frames.offers(offered,
                    dev.courier.websocket.protocol.Frames.FEATURE_BATCH);
            conn.setAttachment(new HubSession(this, conn, d.principal(), d.bucket(), batch));
        }
        return d.refusal();
    }

    // ---- Java-WebSocket callbacks -----------------------------------------------------------------

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        Object a = conn.getAttachment();
        if (a instanceof Refusal) {
            // the HTTP error response is queued; close once it is written, with no WebSocket frame
            ((WebSocketImpl) conn).flushAndClose(CloseFrame.POLICY_VALIDATION, ((Refusal) a).reason, false);
            return;
        }
        if (a instanceof HubSession) {
            // counted from open to close: Java-WebSocket pairs onClose with onOpen, never with the handshake
            HubSession session = (HubSession) a;
            java.nio.channels.ByteChannel channel = ((WebSocketImpl) conn).getChannel();
            if (channel == null || !channel.isOpen()) {
                // Closed while a worker was still checking its handshake (the client hung up and the selector read
                // the end of stream, or the handshake timeout fired): Java-WebSocket ran that close before this
                // open, so no onClose follows and the connection would stay counted until the idle check reaped
                // it (issue 10.9). Nothing was subscribed yet: forget it.
                removeConnection(conn);
                session.cleanUp();
                log.debug("hub {}: {} went away during its handshake", s.hubId(), conn.getRemoteSocketAddress());
                return;
            }
            if (!session.markCounted()) {
                return; // closed meanwhile on another thread: its onClose saw an uncounted session
            }
            admission.opened(session);
            session.opened();
        }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        HubSession session = session(conn);
        if (session != null && session.cleanUp() && session.counted()) {
            admission.release(session);
        }
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        HubSession session = session(conn);
        if (session != null) {
            session.onText(message);
        }
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        HubSession session = session(conn);
        if (session != null) {
            session.onBinary();
        }
    }

    /** The connection's session; null while refused or before its handshake was admitted. */
    private static HubSession session(WebSocket conn) {
        Object a = conn.getAttachment();
        return a instanceof HubSession ? (HubSession) a : null;
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        if (conn == null) {
            startError = ex;
            started.countDown();
            return;
        }
        log.debug("hub {}: connection {} error: {}", s.hubId(), conn.getRemoteSocketAddress(), ex.toString());
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** The backbone's dead letters of {@code service}; fails when the backbone cannot read them back. */
    dev.courier.spi.DeadLetterChannel deadLetterChannel(String service) {
        return backbone.ability(dev.courier.spi.DeadLetterBrowsing.class).orElseThrow(() -> new dev.courier.CourierException(
                "the hub's backbone " + backbone.describe() + " cannot read dead letters back")).deadLetters(service);
    }
}
