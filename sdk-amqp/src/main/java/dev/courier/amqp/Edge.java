package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What the AMQP transport refuses before the bus sees a delivery, and the dead letter it stores in
 * its place: what only the transport can know. A delivery is refused when its body was over
 * {@code maxMessageSize} (the {@link FrameGuard} skipped it unread, so the bus has nothing to read),
 * or when its reply address names a queue AMQP cannot have (the namespace and the
 * {@code courier.reply.} prefix make the queue name longer than the address; no reply could reach
 * it). Every other limit is the bus's: it checks each arriving message against
 * {@link AmqpTransport#limits()} and dead-letters it at once. A refused message is dead-lettered at
 * once, with the reason, without retries, and never loops. Its dead letter is always storable:
 * over-long short strings stay only in their headers, and when the headers would not fit one frame
 * the largest non-attribute headers are left out and listed in {@code dltruncatedheaders}. Internal.
 */
final class Edge {
    /** The error type on such dead letters: the bus's type for a message over a size limit. */
    static final String ERROR_TYPE = dev.courier.LimitExceededException.class.getName();
    /** On a dead letter: what of the original was left out to make it storable, with sizes. */
    static final String TRUNCATED = Headers.DL_TRUNCATED;

    private static final Set<String> KEEP = Set.of(Headers.ID, Headers.SOURCE, Headers.TYPE, Headers.SPECVERSION,
            Headers.TIME, Headers.DATACONTENTTYPE, Headers.CORRELATION_ID, Headers.CAUSATION_ID, Headers.DL_ERROR_TYPE,
            Headers.DL_ERROR_MESSAGE, Headers.DL_ATTEMPTS, Headers.DL_ADDRESS, Headers.DL_SERVICE,
            Headers.DL_FIRST_FAILURE, Headers.DL_LAST_FAILURE, TRUNCATED);

    private Edge() {
    }

    /** Null when the bus may have this delivery; otherwise why Courier cannot carry it, in words. */
    static String refusal(AMQP.BasicProperties props, Map<String, String> headers, Names names, int maxMessageSize) {
        Object skipped = props.getHeaders() == null ? null : props.getHeaders().get(HeaderFrame.BODY_BYTES);
        if (skipped instanceof Long n) {
            return "its body is " + n + " bytes, over this service's maxMessageSize of " + maxMessageSize
                    + " bytes; the body was not read";
        }
        String replyTo = headers.get(Headers.REPLY_TO);
        if (replyTo != null) {
            int bytes = Wire.utf8Length(names.replyQueue(replyTo));
            if (bytes > Wire.SHORT_STRING_MAX) {
                return "'" + Headers.REPLY_TO + "' names a reply queue of " + bytes + " bytes; AMQP queue names are at"
                        + " most " + Wire.SHORT_STRING_MAX + " bytes, so no reply could ever reach it";
            }
        }
        return null;
    }

    /** The dead letter's headers: the original ones and the diagnostics, as the bus writes them. */
    static Map<String, String> deadLetter(Map<String, String> original, AMQP.BasicProperties props, String reason,
                                          Address from, String service) {
        Map<String, String> h = new HashMap<>(original);
        h.remove(Headers.ATTEMPT);
        h.remove(Headers.REDELIVERY);
        h.remove(Headers.FIRST_FAILURE);
        String now = Instant.now().toString();
        h.put(Headers.DL_ERROR_TYPE, ERROR_TYPE);
        h.put(Headers.DL_ERROR_MESSAGE, reason.length() > 1024 ? reason.substring(0, 1024) + "…" : reason);
        h.put(Headers.DL_ATTEMPTS, "0");
        h.put(Headers.DL_ADDRESS, from.toString());
        h.put(Headers.DL_SERVICE, service);
        h.put(Headers.DL_FIRST_FAILURE, now);
        h.put(Headers.DL_LAST_FAILURE, now);
        Object skipped = props.getHeaders() == null ? null : props.getHeaders().get(HeaderFrame.BODY_BYTES);
        if (skipped instanceof Long n) {
            h.put(TRUNCATED, "body (" + n + " bytes, not read)");
        }
        return h;
    }

    /**
     * {@code h} made to fit: while {@code fits} says no, the largest headers that are neither
     * CloudEvents attributes nor diagnostics are left out (and listed in {@code dltruncatedheaders}), then
     * any value over 1 KiB is cut to 1 KiB.
     */
    static Map<String, String> fitted(Map<String, String> h, Predicate<Map<String, String>> fits) {
        if (fits.test(h)) {
            return h;
        }
        Map<String, String> out = new HashMap<>(h);
        List<String> notes = new ArrayList<>();
        if (out.containsKey(TRUNCATED)) {
            notes.add(out.get(TRUNCATED));
        }
        List<Map.Entry<String, String>> droppable = new ArrayList<>();
        for (Map.Entry<String, String> e : h.entrySet()) {
            if (!KEEP.contains(e.getKey())) {
                droppable.add(e);
            }
        }
        droppable.sort((a, b) -> Integer.compare(b.getValue().length(), a.getValue().length()));
        for (Map.Entry<String, String> e : droppable) {
            out.remove(e.getKey());
            notes.add(e.getKey() + " (" + Wire.utf8Length(e.getValue()) + " bytes, left out)");
            out.put(TRUNCATED, String.join(", ", notes));
            if (fits.test(out)) {
                return out;
            }
        }
        for (Map.Entry<String, String> e : new ArrayList<>(out.entrySet())) {
            if (e.getValue().length() > 1024 && !e.getKey().equals(TRUNCATED)) {
                out.put(e.getKey(), e.getValue().substring(0, 1024));
                notes.add(e.getKey() + " (" + Wire.utf8Length(e.getValue()) + " bytes, cut to 1024 characters)");
            }
        }
        out.put(TRUNCATED, String.join(", ", notes));
        return out;
    }
}
