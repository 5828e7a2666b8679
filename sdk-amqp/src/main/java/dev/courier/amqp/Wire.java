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
 * published (headers RabbitMQ adds, such as {@code x-death}, are not part of it). Internal.
 */
final class Wire {
    static final String PREFIX = "cloudEvents_";
    /** The other prefix the binding allows; read, never written. */
    static final String PREFIX_COLON = "cloudEvents:";
    /** Header bytes allowed per message: RabbitMQ's frame is 128 KiB and the header frame must fit in one. */
    static final int MAX_HEADER_BYTES = 96 * 1024;
    private static final int PERSISTENT = 2;

    private Wire() {
    }

    static AMQP.BasicProperties properties(Map<String, String> h) {
        Map<String, Object> headers = new HashMap<>(h.size() * 2);
        for (Map.Entry<String, String> e : h.entrySet()) {
            if (!Headers.DATACONTENTTYPE.equals(e.getKey())) {
                headers.put(PREFIX + e.getKey(), e.getValue());
            }
        }
        return new AMQP.BasicProperties.Builder()
                .deliveryMode(PERSISTENT)
                .contentType(h.get(Headers.DATACONTENTTYPE))
                .messageId(h.get(Headers.ID))
                .correlationId(h.get(Headers.CORRELATION_ID))
                .type(h.get(Headers.TYPE))
                .headers(headers)
                .build();
    }

    /** Rough size of the headers on the wire (UTF-8 worst case for non-ASCII is ignored on purpose). */
    static int headerBytes(Map<String, String> h) {
        int n = 0;
        for (Map.Entry<String, String> e : h.entrySet()) {
            n += PREFIX.length() + e.getKey().length() + e.getValue().length() + 8;
        }
        return n;
    }

    static Map<String, String> headers(AMQP.BasicProperties p) {
        Map<String, Object> raw = p.getHeaders();
        Map<String, String> out = new HashMap<>(raw == null ? 4 : raw.size() * 2);
        if (raw != null) {
            for (Map.Entry<String, Object> e : raw.entrySet()) {
                String k = e.getKey();
                if (k.startsWith(PREFIX) || k.startsWith(PREFIX_COLON)) {
                    String v = text(e.getValue());
                    if (v != null) {
                        out.put(k.substring(PREFIX.length()), v);
                    }
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

    private static String text(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof LongString || v instanceof String) {
            return v.toString();
        }
        if (v instanceof byte[]) {
            return new String((byte[]) v, StandardCharsets.UTF_8);
        }
        return String.valueOf(v);
    }
}
