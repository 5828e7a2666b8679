package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;

import java.util.Map;

/**
 * Step 1 of the pipeline: from a delivery to an envelope and a typed payload, or the reason it
 * cannot be read ({@link CodecException}, or {@link dev.courier.LimitExceededException} for a size
 * limit), which sends it to the dead letter at once. In this order: an id and a type are present;
 * every size limit holds; {@code specversion} is absent (read as 1.0) or of major version 1; the type
 * is the one this handler takes; the body is one value of the codec, not {@code null}, with nothing after it. Internal.
 */
final class Decoder {
    private final dev.courier.spi.PayloadCodec codec;
    private final MessageType type;

    /** A message read successfully. */
    record Decoded(Envelope envelope, Object payload) {
    }

    Decoder(dev.courier.spi.PayloadCodec codec, MessageType type) {
        this.codec = codec;
        this.type = type;
    }

    Decoded decode(Delivery d, Limits limits) {
        Map<String, String> h = d.headers();
        String id = h.get(Headers.ID);
        String typeName = h.get(Headers.TYPE);
        if (id == null || id.isEmpty()) {
            throw new CodecException("message has no id (CloudEvents 'id' is required)", null);
        }
        if (typeName == null || typeName.isEmpty()) {
            throw new CodecException("message " + id + " has no type (CloudEvents 'type' is required)", null);
        }
        LimitCheck.check(limits, () -> "the message that arrived on " + d.address(), h, d.body());
        String version = h.get(Headers.SPECVERSION);
        if (version != null && !version.equals(Headers.SPEC_VERSION_1_0) && !version.startsWith("1.")) {
            throw new CodecException("message " + id + " has specversion '" + version + "'; this bus reads CloudEvents 1.x"
                    + " only (a major version it does not know may mean anything)", null);
        }
        if (!typeName.equals(type.name())) {
            throw new CodecException("message " + id + " has type '" + typeName + "' but arrived on " + d.address()
                    + ", whose handler takes '" + type.name() + "' only", null);
        }
        Object payload = codec.decode(d.body(), type.javaType());
        if (payload == null) {
            throw new CodecException("message " + id + " has the body 'null'; a " + type.name() + " cannot be null", null);
        }
        return new Decoded(envelope(h), payload);
    }

    static Envelope envelope(Map<String, String> h) {
        String id = h.get(Headers.ID);
        String correlation = h.get(Headers.CORRELATION_ID);
        return new Envelope(id, h.get(Headers.SOURCE), h.get(Headers.TYPE), h.get(Headers.TIME),
                correlation != null ? correlation : id, h.get(Headers.CAUSATION_ID), h.get(Headers.SUBJECT), h);
    }

    /** True for the reasons decode() gives: such a message is dead-lettered at once, without attempts. */
    static boolean isUndecodable(CourierException e) {
        return e instanceof CodecException || e instanceof dev.courier.LimitExceededException;
    }
}
