package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.support.Redeliveries;
import dev.courier.websocket.protocol.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The deliveries one connection holds: each backbone delivery for a service or reply subscription is
 * tagged, sent as a message frame and held until the client settles it (ack, reject, redeliver later);
 * whatever is unsettled when the connection closes goes back to the backbone.
 */
final class SessionDeliveries {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    private final HubSession session;
    private final Map<Long, Delivery> unsettled = new ConcurrentHashMap<>();
    private final AtomicLong tags = new AtomicLong();

    SessionDeliveries(HubSession session) {
        this.session = session;
    }

    /** A backbone delivery for a service or reply subscription: tagged, held until the client settles it. */
    void deliver(SessionSubscriptions.Inbound in, Delivery d) {
        if (session.isClosed()) {
            in.giveBack(d);
            return;
        }
        long tag = tags.incrementAndGet();
        unsettled.put(tag, d);
        if (session.isClosed() && unsettled.remove(tag) != null) {
            in.giveBack(d);
            return;
        }
        Map<String, String> fa = new HashMap<>(4);
        fa.put(Frames.SUB, in.subId);
        fa.put(Frames.TAG, Long.toString(tag));
        if (d.redelivered()) {
            fa.put(Frames.REDELIVERED, "true");
        }
        if (!session.sendFrame(Frames.message(d.headers(), d.body(), fa)) && unsettled.remove(tag) != null) {
            in.giveBack(d); // the connection is closing: its cleanUp closes the subscription, then gives it back
        }
    }

    /** An ack, reject or redeliver frame from the client. */
    void settle(String type, JsonNode d, String seq) {
        JsonNode tags = d.get("tags");
        if (tags != null && type.equals(Frames.ACK)) {
            ackAll(tags, seq);
            return;
        }
        long tag = d.path("tag").asLong(-1);
        Delivery delivery = unsettled.remove(tag);
        if (delivery == null) {
            session.error(seq, "unknown_tag", "no unsettled delivery with tag " + tag + " on this connection");
            return;
        }
        if (type.equals(Frames.ACK)) {
            delivery.ack();
        } else if (type.equals(Frames.REJECT)) {
            delivery.reject(d.path("requeue").asBoolean(false));
        } else {
            redeliver(tag, delivery, d, seq);
            return;
        }
        if (seq != null) {
            session.confirm(seq, null);
        }
    }

    /**
     * An ack of several deliveries (feature batch): each named tag is acked, in order, and no other; tags not
     * unsettled on this connection are named in one {@code unknown_tag} error. Nothing is settled when the list
     * is not an array of integers.
     */
    private void ackAll(JsonNode tags, String seq) {
        if (!tags.isArray()) {
            session.error(seq, "malformed", "ack needs data {tag: n} or {tags: [n, ...]}");
            return;
        }
        for (JsonNode t : tags) {
            if (!t.isIntegralNumber()) {
                session.error(seq, "malformed", "ack tags must be integers; nothing was acked");
                return;
            }
        }
        StringBuilder unknown = null;
        for (JsonNode t : tags) {
            long tag = t.asLong();
            Delivery delivery = unsettled.remove(tag);
            if (delivery != null) {
                delivery.ack();
            } else {
                unknown = (unknown == null ? new StringBuilder() : unknown.append(", ")).append(tag);
            }
        }
        if (unknown != null) {
            session.error(seq, "unknown_tag", "no unsettled delivery with tag " + unknown + " on this connection;"
                    + " the other tags were acked");
        } else if (seq != null) {
            session.confirm(seq, null);
        }
    }

    private void redeliver(long tag, Delivery delivery, JsonNode d, String seq) {
        Map<String, String> headers = new HashMap<>();
        JsonNode h = d.path("headers");
        if (!h.isObject()) {
            unsettled.put(tag, delivery);
            session.error(seq, "malformed", "redeliver needs data {tag, delayMs, headers: {...}}");
            return;
        }
        h.fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
        long delay = Math.max(0, d.path("delayMs").asLong(0));
        HubServer hub = session.hub;
        Redeliveries.later(delivery, headers, Duration.ofMillis(delay), hub.backbone, hub.timer()).whenComplete((x, e) -> {
            if (e == null) {
                session.confirm(seq, null);
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
                    + " stays unsettled under tag {}", hub.s.hubId(), delivery.headers().get(Headers.ID), session.principal,
                    c.toString(), tag);
            unsettled.put(tag, delivery);
            if (session.isClosed() && unsettled.remove(tag) != null) {
                delivery.reject(true);
                return;
            }
            session.error(seq, "refused", "redelivery not scheduled: " + c.getMessage() + "; the delivery is still unsettled"
                    + " under its tag: settle it again (ack, reject)");
        });
    }

    /** On close: every unsettled delivery back to the backbone (requeued). */
    void giveAllBack() {
        for (Long tag : unsettled.keySet()) {
            Delivery d = unsettled.remove(tag);
            if (d != null) {
                d.reject(true);
            }
        }
    }

    int size() {
        return unsettled.size();
    }
}
