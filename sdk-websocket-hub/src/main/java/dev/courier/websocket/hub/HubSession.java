package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.PublishTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
import dev.courier.spi.RawMessage;
import dev.courier.spi.TransportSubscription;
import dev.courier.websocket.hub.Authorizer.Operation;
import org.java_websocket.WebSocket;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection on the hub: its principal, its subscriptions and the deliveries it has not
 * settled yet. Reads frames, checks them (rate, authorization), routes them through the backbone and
 * answers with confirm or error frames. Unsettled deliveries go back to the backbone when it closes.
 */
final class HubSession {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);
    private static final int MAX_CORRELATIONS = 1024;

    final HubServer hub;
    final WebSocket conn;
    final WebSocketPrincipal principal;
    final String id = UUID.randomUUID().toString();
    private final TokenBucket bucket;
    private final String source;
    private final Map<String, Sub> subs = new ConcurrentHashMap<>();
    private final Map<Long, Delivery> unsettled = new ConcurrentHashMap<>();
    private final AtomicLong tags = new AtomicLong();
    private final AtomicBoolean cleaned = new AtomicBoolean();
    /** Ids of messages this connection sent (the last 1024), each claimed hub-wide for this principal. */
    private final Set<String> correlations = Collections.newSetFromMap(new LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            if (size() > MAX_CORRELATIONS) {
                hub.messageIds.release(eldest.getKey());
                return true;
            }
            return false;
        }
    });
    private final Set<String> subjectPatterns;
    private volatile boolean closed;
    /** Counted among the hub's open connections (guarded by this). */
    private boolean counted;

    private static final class Sub {
        final Address address;
        final TransportSubscription backbone;
        final Inbound inbound;
        final boolean personal;

        Sub(Address address, TransportSubscription backbone, Inbound inbound, boolean personal) {
            this.address = address;
            this.backbone = backbone;
            this.inbound = inbound;
            this.personal = personal;
        }
    }

    /**
     * The callback of one backbone subscription. A delivery that arrives once the connection is gone is
     * held here, not rejected at once: a reject with requeue would hand it straight back to this same
     * subscription while it is still open, which delivers it again on the same thread, forever (issue
     * 10.9: a connection that closed while its subscribe took the group's backlog kept a worker thread
     * spinning, and the hub stopped reading). Held deliveries are bounded by the prefetch and given back
     * once the subscription is closed, when a requeue goes to the group's other members.
     */
    private final class Inbound implements DeliveryCallback {
        final String subId;
        private List<Delivery> held = new ArrayList<>(); // guarded by this
        private boolean stopped; // guarded by this

        Inbound(String subId) {
            this.subId = subId;
        }

        @Override
        public void onDelivery(Delivery delivery) {
            deliver(this, delivery);
        }

        /** Gives a delivery this connection cannot take back to the group: now if closed, else once closed. */
        void giveBack(Delivery d) {
            synchronized (this) {
                if (!stopped) {
                    held.add(d);
                    return;
                }
            }
            d.reject(true);
        }

        /** Called once the backbone subscription is closed: gives back what was held. */
        void stop() {
            List<Delivery> h;
            synchronized (this) {
                stopped = true;
                h = held;
                held = new ArrayList<>();
            }
            for (Delivery d : h) {
                d.reject(true);
            }
        }
    }

    HubSession(HubServer hub, WebSocket conn, WebSocketPrincipal principal, TokenBucket bucket) {
        this.hub = hub;
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
                publish(f, seq);
            }
        } catch (RuntimeException e) {
            log.warn("hub {}: frame {} from {} failed: {}", hub.s.hubId(), type, principal, e.toString());
            error(seq, "internal", "the hub could not process the frame: " + e.getClass().getSimpleName());
        }
    }

    private void publish(Frames.Frame f, String seq) {
        String to = f.attr(Frames.TO);
        if (to == null) {
            error(seq, "malformed", "a message frame needs the attribute courierwsto (e.g. \"event:v1.order.placed\")");
            return;
        }
        Address address = parseAddress(to);
        if (address == null) {
            error(seq, "malformed", "courierwsto must be event:<name>[@<service>], command:<name>, reply:<address>"
                    + " or dead_letter:<service>, was '" + to + "'");
            return;
        }
        for (String attribute : dev.courier.spi.Limits.ATTRIBUTES) {
            String v = f.headers().get(attribute);
            // a char is at most 3 UTF-8 bytes: count bytes only when the length alone does not decide
            if (v != null && v.length() * 3L > hub.s.maxAttributeBytes()
                    && v.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > hub.s.maxAttributeBytes()) {
                error(seq, "too_large", "attribute '" + attribute + "' is longer than " + hub.s.maxAttributeBytes()
                        + " bytes (UTF-8); the message was refused");
                return;
            }
        }
        if (!mayPublish(address)) {
            error(seq, "forbidden", principal.name() + " may not publish to " + address);
            return;
        }
        String messageId = f.headers().get(Headers.ID);
        boolean claimed = false;
        if (messageId != null && (address.kind() == Address.Kind.COMMAND || address.kind() == Address.Kind.EVENT)) {
            // the id is claimed before the publish (a fast answer may come before the confirm) and given back
            // when the publish fails: a refused send registers nothing (issue 11.10)
            synchronized (correlations) {
                if (!correlations.contains(messageId)) {
                    if (!hub.messageIds.claim(messageId, principal.name())) {
                        error(seq, "forbidden", "message id " + messageId + " is in use by another principal;"
                                + " ids must be unique");
                        return;
                    }
                    correlations.add(messageId);
                    claimed = true;
                }
            }
        }
        boolean release = claimed;
        hub.backbone.publish(address, f.headers(), f.body()).whenComplete((x, e) -> {
            if (e != null && release) {
                synchronized (correlations) {
                    if (correlations.remove(messageId)) {
                        hub.messageIds.release(messageId);
                    }
                }
            }
            if (e == null) {
                if (seq != null) {
                    confirm(seq, null);
                }
            } else {
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                String code = c instanceof PublishTimeoutException ? "full"
                        : c instanceof dev.courier.UnroutableException ? "unroutable" : "refused";
                error(seq, code, String.valueOf(c.getMessage()));
            }
        });
    }

    private boolean mayPublish(Address a) {
        Authorizer z = hub.s.authorizer();
        switch (a.kind()) {
            case EVENT:
                return a.group() == null ? z.allows(principal, Operation.PUBLISH, a.name())
                        : z.allows(principal, Operation.SERVICE, a.group());
            case COMMAND:
                return z.allows(principal, Operation.SEND, a.name());
            case REPLY:
                return z.allows(principal, Operation.REPLY, a.name());
            case DEAD_LETTER:
                return z.allows(principal, Operation.SERVICE, a.name());
            default:
                return false;
        }
    }

    private void control(Frames.Frame f, String seq) {
        JsonNode d = f.control();
        switch (f.type()) {
            case Frames.SUBSCRIBE:
                subscribe(d, seq);
                break;
            case Frames.UNSUBSCRIBE: {
                Sub s = subs.remove(String.valueOf(Frames.text(d, "sub")));
                if (s != null) {
                    closeSub(Frames.text(d, "sub"), s);
                }
                confirm(seq, null);
                break;
            }
            case Frames.ACK:
            case Frames.REJECT:
            case Frames.REDELIVER:
                settle(f.type(), d, seq);
                break;
            case Frames.DL_BROWSE:
            case Frames.DL_REMOVE:
                deadLetters(f.type(), d, seq);
                break;
            default:
                error(seq, "unknown_type", "unknown control type '" + f.type() + "'; this hub speaks "
                        + Frames.CONTROL_PREFIX + "*");
        }
    }

    private void subscribe(JsonNode d, String seq) {
        String subId = Frames.text(d, "sub");
        String to = Frames.text(d, "address");
        Address address = to == null ? null : parseAddress(to);
        if (subId == null || subId.isEmpty() || address == null || address.group() != null) {
            error(seq, "malformed", "subscribe needs data {sub, address: event:<name>|command:<name>|reply:<address>,"
                    + " group?, prefetch?, personal?}");
            return;
        }
        if (subs.containsKey(subId)) {
            error(seq, "duplicate", "subscription '" + subId + "' already exists on this connection");
            return;
        }
        if (subs.size() >= hub.s.maxSubscriptionsPerConnection()) {
            error(seq, "too_many_subscriptions", "at most " + hub.s.maxSubscriptionsPerConnection()
                    + " subscriptions per connection");
            return;
        }
        String group = Frames.text(d, "group");
        boolean personal = d.path("personal").asBoolean(false) || (group == null && address.kind() == Address.Kind.EVENT);
        int prefetch = Math.max(1, Math.min(hub.s.maxPrefetch(), d.path("prefetch").asInt(32)));
        Authorizer z = hub.s.authorizer();
        if (personal) {
            if (address.kind() != Address.Kind.EVENT) {
                error(seq, "malformed", "only events can be subscribed to personally; commands need a service group");
                return;
            }
            if (!z.allows(principal, Operation.SUBSCRIBE, address.name())) {
                error(seq, "forbidden", principal.name() + " may not subscribe to " + address.name());
                return;
            }
            try {
                hub.personal.register(address.name(), this, subId);
            } catch (RuntimeException e) {
                error(seq, "refused", "cannot subscribe to " + address + ": " + e.getMessage());
                return;
            }
            subs.put(subId, new Sub(address, null, null, true));
            if (closed && subs.remove(subId) != null) {
                hub.personal.unregister(address.name(), this, subId); // cleanUp ran meanwhile
                return;
            }
            confirm(seq, null);
            return;
        }
        switch (address.kind()) {
            case EVENT:
            case COMMAND:
                if (group == null || !z.allows(principal, Operation.SERVICE, group)) {
                    error(seq, "forbidden", principal.name() + " may not consume " + address + " as service '" + group + "'");
                    return;
                }
                break;
            case REPLY:
                if (group == null) {
                    group = id;
                }
                if (!z.allows(principal, Operation.RECEIVE_REPLIES, address.name())) {
                    error(seq, "forbidden", principal.name() + " may not receive the replies sent to " + address.name()
                            + " (its own reply addresses start with " + Authorizer.personalReplyPrefix(principal) + ")");
                    return;
                }
                if (!hub.replyAddresses.claim(address.name(), principal.name())) {
                    error(seq, "forbidden", "reply address " + address.name() + " belongs to another principal");
                    return;
                }
                break;
            default:
                error(seq, "malformed", "dead letters are read with " + Frames.DL_BROWSE + ", not subscribed to");
                return;
        }
        TransportSubscription backbone;
        Inbound inbound = new Inbound(subId);
        try {
            backbone = hub.backbone.subscribe(address, group, prefetch, inbound);
        } catch (RuntimeException e) {
            if (address.kind() == Address.Kind.REPLY) {
                hub.replyAddresses.release(address.name());
            }
            error(seq, "refused", "cannot subscribe to " + address + ": " + e.getMessage());
            return;
        }
        subs.put(subId, new Sub(address, backbone, inbound, false));
        if (closed) {
            Sub s = subs.remove(subId);
            if (s != null) {
                closeSub(subId, s);
            }
            return;
        }
        confirm(seq, null);
    }

    private void settle(String type, JsonNode d, String seq) {
        long tag = d.path("tag").asLong(-1);
        Delivery delivery = unsettled.remove(tag);
        if (delivery == null) {
            error(seq, "unknown_tag", "no unsettled delivery with tag " + tag + " on this connection");
            return;
        }
        if (type.equals(Frames.ACK)) {
            delivery.ack();
        } else if (type.equals(Frames.REJECT)) {
            delivery.reject(d.path("requeue").asBoolean(false));
        } else {
            Map<String, String> headers = new HashMap<>();
            JsonNode h = d.path("headers");
            if (!h.isObject()) {
                unsettled.put(tag, delivery);
                error(seq, "malformed", "redeliver needs data {tag, delayMs, headers: {...}}");
                return;
            }
            h.fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
            long delay = Math.max(0, d.path("delayMs").asLong(0));
            dev.courier.spi.support.Redeliveries.later(delivery, headers, Duration.ofMillis(delay), hub.backbone, hub.timer())
                    .whenComplete((x, e) -> {
                if (e == null) {
                    confirm(seq, null);
                    return;
                }
                // The backbone could not schedule it and gave the claim back (Delivery's contract: the caller may
                // still settle it). Before, the delivery was already off this connection's unsettled list: the client
                // could not settle it any more and it stayed unsettled on the backbone until the connection closed.
                // It goes back on the list under the same tag, so the client settles it again (the Java client's
                // bus dead-letters it, as for every redeliverLater that fails); if the connection closed meanwhile,
                // cleanUp has run and the message is given back here.
                Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                log.warn("hub {}: the backbone could not schedule the redelivery of message {} for {} ({}); the delivery"
                        + " stays unsettled under tag {}", hub.s.hubId(), delivery.headers().get(Headers.ID), principal,
                        c.toString(), tag);
                unsettled.put(tag, delivery);
                if (closed && unsettled.remove(tag) != null) {
                    delivery.reject(true);
                    return;
                }
                error(seq, "refused", "redelivery not scheduled: " + c.getMessage() + "; the delivery is still unsettled"
                        + " under its tag: settle it again (ack, reject)");
            });
            return;
        }
        if (seq != null) {
            confirm(seq, null);
        }
    }

    private void deadLetters(String type, JsonNode d, String seq) {
        String service = Frames.text(d, "service");
        if (service == null || !hub.s.authorizer().allows(principal, Operation.SERVICE, service)) {
            error(seq, "forbidden", principal.name() + " may not read the dead letters of '" + service + "'");
            return;
        }
        if (type.equals(Frames.DL_REMOVE)) {
            String messageId = Frames.text(d, "id");
            boolean removed = messageId != null && hub.deadLetterChannel(service).remove(messageId);
            ObjectNode r = Frames.data();
            r.put("removed", removed);
            confirm(seq, r);
            return;
        }
        int max = Math.max(1, Math.min(1000, d.path("max").asInt(100)));
        List<RawMessage> list = hub.deadLetterChannel(service).browse(max);
        ObjectNode r = Frames.data();
        ArrayNode arr = r.putArray("messages");
        for (RawMessage m : list) {
            ObjectNode one = arr.addObject();
            m.headers().forEach(one::put);
            one.put("data_base64", java.util.Base64.getEncoder().encodeToString(m.body()));
        }
        confirm(seq, r);
    }

    // ---- outbound --------------------------------------------------------------------------------

    /** A backbone delivery for a service or reply subscription: tagged, held until the client settles it. */
    private void deliver(Inbound in, Delivery d) {
        if (closed) {
            in.giveBack(d);
            return;
        }
        long tag = tags.incrementAndGet();
        unsettled.put(tag, d);
        if (closed && unsettled.remove(tag) != null) {
            in.giveBack(d);
            return;
        }
        Map<String, String> fa = new HashMap<>(4);
        fa.put(Frames.SUB, in.subId);
        fa.put(Frames.TAG, Long.toString(tag));
        if (d.redelivered()) {
            fa.put(Frames.REDELIVERED, "true");
        }
        if (!sendFrame(Frames.message(d.headers(), d.body(), fa)) && unsettled.remove(tag) != null) {
            in.giveBack(d); // the connection is closing: its cleanUp closes the subscription, then gives it back
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
        if (correlation != null) {
            synchronized (correlations) {
                return correlations.contains(correlation);
            }
        }
        return false;
    }

    /** Queues a frame; cuts the connection off when its send queue is over the limit. */
    boolean sendFrame(String text) {
        if (closed) {
            return false;
        }
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
            backlog.queued(dev.courier.spi.Limits.utf8Length(text));
        }
        try {
            conn.send(text);
            return true;
        } catch (WebsocketNotConnectedException e) {
            return false;
        }
    }

    private void confirm(String seq, ObjectNode extra) {
        if (seq == null) {
            return;
        }
        ObjectNode d = extra != null ? extra : Frames.data();
        d.put("seq", seq);
        sendFrame(Frames.control(Frames.CONFIRM, source, seq, d));
    }

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
                + subs.keySet() + ", unsettled " + unsettled.size();
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
        for (Iterator<Map.Entry<String, Sub>> it = subs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Sub> e = it.next();
            it.remove();
            closeSub(e.getKey(), e.getValue());
        }
        synchronized (correlations) {
            for (String messageId : correlations) {
                hub.messageIds.release(messageId);
            }
            correlations.clear();
        }
        for (Long tag : unsettled.keySet()) {
            Delivery d = unsettled.remove(tag);
            if (d != null) {
                d.reject(true);
            }
        }
        log.debug("hub {}: {} disconnected", hub.s.hubId(), principal);
        return true;
    }

    private void closeSub(String subId, Sub s) {
        if (s.personal) {
            hub.personal.unregister(s.address.name(), this, subId);
            return;
        }
        try {
            s.backbone.close();
        } catch (RuntimeException e) {
            log.debug("hub {}: closing a backbone subscription failed: {}", hub.s.hubId(), e.toString());
        }
        s.inbound.stop();
        if (s.address.kind() == Address.Kind.REPLY) {
            hub.replyAddresses.release(s.address.name());
        }
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
