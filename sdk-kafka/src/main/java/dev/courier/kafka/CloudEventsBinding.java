package dev.courier.kafka;

import dev.courier.spi.Headers;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The CloudEvents Kafka protocol binding, binary content mode: each attribute {@code x} is the record
 * header {@code ce_x} (UTF-8), {@code datacontenttype} is {@code content-type}, the body is the record
 * value, and the {@code partitionkey} extension (else the message id) is the record key. Courier's own
 * transport headers start with {@code courier-} and are not CloudEvents attributes.
 */
final class CloudEventsBinding {
    /** The CloudEvents prefix of attribute headers. */
    static final String CE = "ce_";
    /** The header of {@code datacontenttype}. */
    static final String CONTENT_TYPE = "content-type";
    /** The CloudEvents partitioning extension: the record key. */
    static final String PARTITION_KEY = "partitionkey";
    /** Transport header: the copy was put back by reject(requeue) (so it is flagged redelivered). */
    static final String REQUEUED = "courier-requeued";
    /** Transport header on a retry record: epoch millis when it is due. */
    static final String DUE = "courier-due";
    /** Transport header on a retry record: the topic it goes back to. */
    static final String TARGET = "courier-target";

    private CloudEventsBinding() {
    }

    static RecordHeaders toKafka(Map<String, String> headers) {
        RecordHeaders out = new RecordHeaders();
        headers.forEach((k, v) -> out.add(Headers.DATACONTENTTYPE.equals(k) ? CONTENT_TYPE : CE + k,
                v.getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    /** The record key: the partition key when set, else the message id (spreads records over partitions). */
    static byte[] key(Map<String, String> headers) {
        String k = headers.get(PARTITION_KEY);
        if (k == null) {
            k = headers.get(Headers.ID);
        }
        return k == null ? null : k.getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, String> fromKafka(Iterable<Header> headers) {
        Map<String, String> out = new HashMap<>();
        for (Header h : headers) {
            String k = h.key();
            byte[] v = h.value();
            if (v == null) {
                continue;
            }
            if (k.startsWith(CE) && k.length() > CE.length()) {
                out.put(k.substring(CE.length()), new String(v, StandardCharsets.UTF_8));
            } else if (CONTENT_TYPE.equals(k)) {
                out.put(Headers.DATACONTENTTYPE, new String(v, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    static String text(Iterable<Header> headers, String name) {
        String found = null;
        for (Header h : headers) {
            if (h.key().equals(name) && h.value() != null) {
                found = new String(h.value(), StandardCharsets.UTF_8);
            }
        }
        return found;
    }
}
