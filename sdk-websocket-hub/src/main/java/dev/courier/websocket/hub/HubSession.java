package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import dev.courier.websocket.protocol.WireFrames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import org.java_websocket.WebSocket;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One client connection on the hub: its principal, the welcome, the frame dispatch (rate limit, then each
 * frame to the part that handles it), the confirm and error answers, the bounded send queue and the close.
 * The parts: {@link SessionPublisher} (the publish path), {@link SessionSubscriptions} (subscribe and
 * unsubscribe), {@link SessionDeliveries} (deliveries held until settled, redelivery) and
 * {@link SessionDeadLetters} (dead-letter operations). Unsettled deliveries go back to the backbone when the
 * connection closes.
 */
final class HubSession {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    final HubServer hub;
    final WebSocket conn;
    final WebSocketPrincipal principal;
    final String id = UUID.randomUUID().toString();
    private final TokenBucket bucket;
    private final String source;
    private final AtomicBoolean cleaned = new AtomicBoolean();
    private final SessionDeliveries deliveries = new SessionDeliveries(this);
    private final SessionSubscriptions subscriptions;
    private final SessionPublisher publisher;
    private final SessionDeadLetters deadLetters;
    private final Set<String> subjectPatterns;
    private volatile boolean closed;
    /** Counted among the hub's open connections (guarded by this). */
    private boolean counted;
    /** Feature batch in effect: the client offered it, so publishes confirmed in one run share a confirm frame. */
    final boolean batch;
    /** The thread decoding this connection's frames while it decodes them (a read run); else null. */
    private volatile Thread reading;
    /** Publish confirms due at the end of the current read run (the reading thread's only). */
    private final java.util.ArrayList<String> confirmsDue = new java.util.ArrayList<>();
    private int confirmsDueChars;

    HubSession(HubServer hub, WebSocket conn, WebSocketPrincipal principal, TokenBucket bucket, boolean batch) {
        this.hub = hub;
        this.batch = batch;
        this.conn = conn;
        this.principal = principal;
        this.bucket = bucket;
        this.source = "/courier/hub/" + hub.s.hubId();
        Set<String> patterns = new java.util.HashSet<>();
        for (String g : principal.grants()) {
            if (g.startsWith("subject:")) {
                patterns.add(g.substring("subject:".length()));
            }
        }
        this.subjectPatterns = Set.copyOf(patterns);
        this.subscriptions = new SessionSubscriptions(this, deliveries);
        this.publisher = new SessionPublisher(this);
        this.deadLetters = new SessionDeadLetters(this);
    }

    void opened() {
        ObjectNode d = Frames.data();
        d.put("protocol", "courier.ws/1");
        d.put("hub", hub.s.hubId());
        d.put("session", id);
        d.put("principal", principal.name());
        d.put("replyPrefix", Authorizer.personalReplyPrefix(principal));
        d.put("maxMessageBytes", hub.s.maxMessageBytes());
        d.put("maxAttributeBytes", hub.s.maxAttributeBytes());
        d.put("messagesPerSecond", hub.s.messagesPerSecond());
        d.put("burst", hub.s.burst());
        // what the backbone can do and carry (issue 13): the client reports no more than this
        ArrayNode capabilities = d.putArray("capabilities");
        hub.capabilities().forEach(c -> capabilities.add(c.name()));
        dev.courier.spi.Limits l = hub.backboneLimits();
        if (l != null) {
            ObjectNode limits = d.putObject("limits");
            limits.put("maxAttributeBytes", l.maxAttributeBytes());
            limits.put("maxHeaderValueBytes", l.maxHeaderValueBytes());
            limits.put("maxHeadersBytes", l.maxHeadersBytes());
            limits.put("maxBodyBytes", l.maxBodyBytes());
        }
        // the protocol features in effect on this connection: those the client offered that this hub speaks
        ArrayNode features = d.putArray("features");
        if (batch) {
            features.add(Frames.FEATURE_BATCH);
        }
        sendFrame(Frames.control(Frames.WELCOME, source, null, d));
        log.debug("hub {}: {} connected from {}", hub.s.hubId(), principal, conn.getRemoteSocketAddress());
    }

    // ---- inbound ---------------------------------------------------------------------------------

    void onBinary() {
        if (bucket.tryTake()) {
            error(null, "unsupported", "binary frames are not supported: send text frames (subprotocol cloudevents.json)");
        }
    }

    void onText(String text) {
        if (closed) {
            return;
        }
        Frames.Frame f;
        try {
            f = Frames.parse(text);
        } catch (Frames.MalformedFrame e) {
            if (bucket.tryTake()) {
                error(null, "malformed", e.getMessage());
            }
            return;
        }
        String seq = f.attr(Frames.SEQ);
        String type = f.type();
        boolean settle = type.equals(Frames.ACK) || type.equals(Frames.REJECT) || type.equals(Frames.REDELIVER);
        if (!settle && !bucket.tryTake()) {
            error(seq, "rate_limited", "rate limit of " + hub.s.messagesPerSecond() + " frames/s (burst " + hub.s.burst()
                    + ") for " + principal.name() + " exceeded; the frame was refused");
            return;
        }
        try {
            if (f.isControl()) {
                control(f, seq);
            } else {
                publisher.publish(f, seq);
            }
        } catch (RuntimeException e) {
            log.warn("hub {}: frame {} from {} failed: {}", hub.s.hubId(), type, principal, e.toString());
            error(seq, "internal", "the hub could not process the frame: " + e.getClass().getSimpleName());
        }
    }

    private void control(Frames.Frame f, String seq) {
        JsonNode d = f.control();
        switch (f.type()) {
            case Frames.SUBSCRIBE:
                subscriptions.subscribe(d, seq);
                break;
            case Frames.UNSUBSCRIBE:
                subscriptions.unsubscribe(d, seq);
                break;
            case Frames.ACK:
            case Frames.REJECT:
            case Frames.REDELIVER:
                deliveries.settle(f.type(), d, seq);
                break;
            case Frames.DL_BROWSE:
            case Frames.DL_REMOVE:
                deadLetters.handle(f.type(), d, seq);
                break;
            default:
                error(seq, "unknown_type", "unknown control type '" + f.type() + "'; this hub speaks "
                        + Frames.CONTROL_PREFIX + "*");
        }
    }

    /** True when this principal may see a personal event: its subject, or a conversation it started. */
    boolean maySee(Map<String, String> h) {
        if (closed) {
            return false;
        }
        String subject = h.get(Headers.SUBJECT);
        if (subject != null && subject.equals(principal.name())) {
            return true;
        }
        for (String p : subjectPatterns) {
            if (p.equals("*") || (subject != null && Glob.matches(p, subject))) {
                return true;
            }
        }
        String correlation = h.get(Headers.CORRELATION_ID);
        return correlation != null && publisher.sent(correlation);
    }

    boolean isClosed() {
        return closed;
    }

    /** Writes the hub's frames: encoded once, queued without the library's per-frame re-validation. */
    private static final WireFrames WIRE = WireFrames.server();

    /** Queues a frame; cuts the connection off when its send queue is over the limit. */
    boolean sendFrame(String text) {
        if (closed) {
            return false;
        }
        byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        SendBacklog backlog = conn instanceof HubSocketFactory.Guarded ? ((HubSocketFactory.Guarded) conn).backlog : null;
        if (backlog != null) {
            // counted by the hub itself (SendBacklog), never by reading the library's send queue
            int frames = backlog.frames(!conn.hasBufferedData());
            if (frames > 32 && (frames > hub.s.maxQueuedFrames() || backlog.bytes() > hub.s.maxQueuedBytes())) {
                log.warn("hub {}: {} at {} reads too slowly ({} frames, {} bytes queued); connection cut", hub.s.hubId(),
                        principal, conn.getRemoteSocketAddress(), frames, backlog.bytes());
                conn.closeConnection(CloseFrame.TRY_AGAIN_LATER, "send queue full: slow reader cut off");
                return false;
            }
            backlog.queued(utf8.length);
        }
        try {
            WIRE.send(conn, utf8);
            return true;
        } catch (WebsocketNotConnectedException e) {
            return false;
        }
    }

    /** The connection's thread starts decoding what it read (one socket read: one or more frames). */
    void readRunStarted() {
        if (batch) {
            reading = Thread.currentThread();
        }
    }

    /** The read run ended: the publish confirms it produced go out, in one frame. */
    void readRunEnded() {
        if (batch) {
            reading = null;
            flushConfirms();
        }
    }

    /**
     * Confirms a publish: at once, or with feature batch, when the backbone confirmed it on the thread in this
     * connection's read run (the in-memory backbone does), at the end of that run together with the others.
     */
    void confirmPublish(String seq) {
        if (batch && reading == Thread.currentThread()) {
            confirmsDue.add(seq);
            confirmsDueChars += seq.length() + 3;
            if (confirmsDueChars > 16 * 1024) {
                flushConfirms(); // bounds a confirm frame's size whatever the client's seqs
            }
            return;
        }
        sendFrame(Frames.confirm(source, seq));
    }

    private void flushConfirms() {
        int n = confirmsDue.size();
        if (n == 0) {
            return;
        }
        sendFrame(n == 1 ? Frames.confirm(source, confirmsDue.get(0)) : Frames.confirms(source, confirmsDue));
        confirmsDue.clear();
        confirmsDueChars = 0;
    }

    /** Answers the frame numbered {@code seq} (nothing when null) with a confirm frame, with {@code extra} data if any. */
    void confirm(String seq, ObjectNode extra) {
        if (seq == null) {
            return;
        }
        if (extra == null) {
            sendFrame(Frames.confirm(source, seq)); // the common answer, written without a tree
            return;
        }
        ObjectNode d = extra;
        d.put("seq", seq);
        sendFrame(Frames.control(Frames.CONFIRM, source, seq, d));
    }

    /** Answers the frame numbered {@code seq} (or none, when null) with an error frame. */
    void error(String seq, String code, String message) {
        ObjectNode d = Frames.data();
        if (seq != null) {
            d.put("seq", seq);
        }
        d.put("code", code);
        d.put("message", message);
        sendFrame(Frames.control(Frames.ERROR, source, seq, d));
    }

    /**
     * Marks this session as counted among the hub's open connections, unless it was cleaned up already
     * (its connection closed on another thread first). Together with {@link #counted()} after
     * {@link #cleanUp()}, each session is released exactly once if and only if it was counted.
     */
    synchronized boolean markCounted() {
        if (cleaned.get()) {
            return false;
        }
        counted = true;
        return true;
    }

    synchronized boolean counted() {
        return counted;
    }

    String describe() {
        return id + " " + principal.name() + (closed ? " closed" : " open") + ", cleaned " + cleaned.get() + ", subs "
                + subscriptions.ids() + ", unsettled " + deliveries.size();
    }

    // ---- close -----------------------------------------------------------------------------------

    /** Stops subscriptions and gives every unsettled delivery back; true the first time only. */
    boolean cleanUp() {
        synchronized (this) {
            if (!cleaned.compareAndSet(false, true)) {
                return false;
            }
        }
        closed = true;
        hub.personal.unregisterAll(this);
        subscriptions.closeAll();
        publisher.releaseAll();
        deliveries.giveAllBack();
        log.debug("hub {}: {} disconnected", hub.s.hubId(), principal);
        return true;
    }

    /** {@link Address#parse}, or null when invalid. */
    static Address parseAddress(String text) {
        try {
            return Address.parse(text);
        } catch (dev.courier.CourierException e) {
            return null;
        }
    }
}
