package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.courier.spi.Headers;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The CloudEvents AMQP binding in binary content mode, on AMQP 0-9-1: every attribute is a header
 * named {@code cloudEvents_<attribute>}, {@code datacontenttype} is the {@code content_type}
 * property, and {@code message_id}, {@code correlation_id} and {@code type} are set too so that
 * plain AMQP tools show them. Messages are persistent. Delivery gives back exactly the map that was
 * published (headers RabbitMQ adds, such as {@code x-death}, are not part of it).
 *
 * <p>AMQP's own limits, checked here in bytes: the four properties above are short strings of at
 * most {@value #SHORT_STRING_MAX} bytes (as are exchange names and routing keys), and all properties
 * and headers of a message travel in one content-header frame of at most the connection's
 * {@code frame_max} (RabbitMQ: 131,072 bytes). amqp-client throws for either only after it has
 * counted the publish, which must never happen on a confirm channel. Internal.
 */
final class Wire {
    static final String PREFIX = "cloudEvents_";
    /** The other prefix the binding allows; read, never written. */
    static final String PREFIX_COLON = "cloudEvents:";
    /** The longest AMQP short string: message_id, correlation_id, type, content_type, exchange, routing key. */
    static final int SHORT_STRING_MAX = 255;
    /** The headers Courier copies into short-string properties, and the property each goes to. */
    static final Map<String, String> SHORT_STRING_ATTRIBUTES = Map.of(Headers.ID, "message_id",
            Headers.CORRELATION_ID, "correlation_id", Headers.TYPE, "type", Headers.DATACONTENTTYPE, "content_type");
    private static final int PERSISTENT = 2;

    private Wire() {
    }

    /** The properties of a message; callers have checked {@link #shortStringProblem} first. */
    static AMQP.BasicProperties properties(Map<String, String> h) {
        return properties(h, false);
    }

    /**
     * The properties of a message. With {@code lenient}, a value too long for its short-string
     * property is left out of the property (its {@code cloudEvents_} header still carries it whole):
     * for dead letters of messages that arrived that way, which must always be storable.
     */
    static AMQP.BasicProperties properties(Map<String, String> h, boolean lenient) {
        Map<String, Object> headers = new HashMap<>(h.size() * 2);
        for (Map.Entry<String, String> e : h.entrySet()) {
            if (!Headers.DATACONTENTTYPE.equals(e.getKey()) || (lenient && !fits(e.getValue()))) {
                headers.put(PREFIX + e.getKey(), e.getValue());
            }
        }
        return new AMQP.BasicProperties.Builder()
                .deliveryMode(PERSISTENT)
                .contentType(property(h, Headers.DATACONTENTTYPE, lenient))
                .messageId(property(h, Headers.ID, lenient))
                .correlationId(property(h, Headers.CORRELATION_ID, lenient))
                .type(property(h, Headers.TYPE, lenient))
                .headers(headers)
                .build();
    }

    private static String property(Map<String, String> h, String name, boolean lenient) {
        String v = h.get(name);
        return lenient && !fits(v) ? null : v;
    }

    private static boolean fits(String v) {
        return v == null || utf8Length(v) <= SHORT_STRING_MAX;
    }

    /** Null when every short-string attribute fits; otherwise what breaks AMQP's limit, in words. */
    static String shortStringProblem(Map<String, String> h) {
        for (Map.Entry<String, String> e : SHORT_STRING_ATTRIBUTES.entrySet()) {
            String v = h.get(e.getKey());
            if (!fits(v)) {
                return "'" + e.getKey() + "' is " + utf8Length(v) + " bytes in UTF-8; AMQP carries it in the "
                        + e.getValue() + " property, a short string of at most " + SHORT_STRING_MAX + " bytes";
            }
        }
        return null;
    }

    /**
     * Null when a publish fits what AMQP carries (body size, short strings, routing key); else why not.
     * The frame_max check is the publisher's (it knows the connection's frame_max).
     */
    static String publishProblem(Map<String, String> h, int bodyBytes, String routingKey, int maxMessageSize) {
        if (bodyBytes > maxMessageSize) {
            return "it is " + bodyBytes + " bytes, over maxMessageSize " + maxMessageSize;
        }
        String tooLong = shortStringProblem(h);
        if (tooLong != null) {
            return tooLong;
        }
        if (utf8Length(routingKey) > SHORT_STRING_MAX) {
            return "its routing key '" + routingKey + "' is " + utf8Length(routingKey) + " bytes; AMQP allows "
                    + SHORT_STRING_MAX;
        }
        return null;
    }

    /**
     * The size of the content-header frame of these properties (what must fit {@code frame_max}):
     * the exact encoding when a cheap upper bound says it could be near {@code frameMax}.
     */
    static long headerFrameBytes(AMQP.BasicProperties props, Map<String, String> h, long bodySize, int frameMax) {
        long bound = 64;
        for (Map.Entry<String, String> e : h.entrySet()) {
            bound += 2L * (PREFIX.length() + e.getKey().length() + 6) + 3L * e.getValue().length();
        }
        if (frameMax <= 0 || bound <= frameMax) {
            return Math.min(bound, Integer.MAX_VALUE);
        }
        try {
            return props.toFrame(0, bodySize).size();
        } catch (java.io.IOException e) {
            return bound;
        }
    }

    /** {@code s} cut to 80 characters for a log line or message, marked when cut. */
    static String shortened(String s) {
        return s == null ? "(no id)" : s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }

    /** Bytes of {@code s} in UTF-8, without encoding it. */
    static int utf8Length(String s) {
        return dev.courier.spi.Limits.utf8Length(s);
    }

    static Map<String, String> headers(AMQP.BasicProperties p) {
        Map<String, Object> raw = p.getHeaders();
        Map<String, String> out = new HashMap<>(raw == null ? 4 : raw.size() * 2);
        if (raw != null) {
            for (Map.Entry<String, Object> e : raw.entrySet()) {
                String k = e.getKey();
                String v = k.startsWith(PREFIX) || k.startsWith(PREFIX_COLON) ? text(e.getValue()) : null;
                if (v != null && k.startsWith(PREFIX)) {
                    out.put(k.substring(PREFIX.length()), v);
                } else if (v != null) {
                    out.putIfAbsent(k.substring(PREFIX.length()), v); // both spellings: cloudEvents_ wins, in any order
                }
            }
        }
        if (p.getContentType() != null) {
            out.put(Headers.DATACONTENTTYPE, p.getContentType());
        }
        if (!out.containsKey(Headers.ID) && p.getMessageId() != null) {
            out.put(Headers.ID, p.getMessageId()); // a plain AMQP publisher that set only message_id
        }
        return out;
    }

    /** The message's id: its message_id property, or (when that was too long to set) its id header. */
    static String idOf(AMQP.BasicProperties p) {
        if (p.getMessageId() != null) {
            return p.getMessageId();
        }
        Object h = p.getHeaders() == null ? null : p.getHeaders().get(PREFIX + Headers.ID);
        return h == null ? null : text(h);
    }

    /**
     * A header value as text: strings as they are, byte arrays as UTF-8, numbers and booleans in their
     * plain form, an AMQP timestamp (the binding's type for {@code time}) as RFC 3339. Tables, arrays
     * and void are not CloudEvents attribute values: null, so the header is left out.
     */
    static String text(Object v) {
        if (v instanceof LongString || v instanceof String) {
            return v.toString();
        }
        if (v instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        if (v instanceof java.math.BigDecimal d) {
            return d.toPlainString();
        }
        if (v instanceof Number || v instanceof Boolean) {
            return String.valueOf(v);
        }
        if (v instanceof java.util.Date d) {
            return d.toInstant().toString();
        }
        return null;
    }
}
