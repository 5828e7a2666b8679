package dev.courier.spi;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.CodecException;

/**
 * How message payloads (records) become bytes and back. Courier's default is Jackson 2
 * ({@link #jackson(ObjectMapper)}); the optional {@code courier-jackson3} module brings a Jackson 3
 * ({@code tools.jackson}) one, so a service that already configured a Jackson 3 mapper reuses it.
 *
 * <p>Rules for an implementation, the wire contract depends on them: no type information on the
 * wire (the type comes from the message name); a tolerant reader (unknown fields ignored, so a
 * producer may add fields); a body is exactly one value (trailing data fails); failures are
 * {@link CodecException}s naming the type. {@code decode} may return null for a body that is the
 * JSON {@code null}; the pipeline dead-letters such a message. Thread safe: one codec serves every
 * handler and publisher of a bus.
 */
public interface PayloadCodec {

    /**
     * What {@link #encode} makes.
     *
     * @return the CloudEvents {@code datacontenttype}, e.g. {@code application/json}
     */
    String contentType();

    /**
     * Encodes a payload.
     *
     * @param value the payload (a record)
     * @return its bytes
     * @throws CodecException when it cannot be encoded
     */
    byte[] encode(Object value);

    /**
     * Decodes a payload.
     *
     * @param body the bytes that arrived
     * @param type what to read them as
     * @param <T>  the payload type
     * @return the payload (null for a body that is the JSON {@code null})
     * @throws CodecException when the body is not one {@code type}
     */
    <T> T decode(byte[] body, Class<T> type);

    /**
     * What a JSON codec tells the AsyncAPI generator (module {@code sdk-asyncapi}) so that payload
     * schemas describe what it writes. Optional: a codec without it is described with Courier's defaults.
     */
    interface JsonSchemaHints {
        /**
         * How a {@code java.time.Duration} is written.
         *
         * @return true for a number of seconds, false for an ISO-8601 string
         */
        boolean writesDurationsAsNumbers();
    }

    /**
     * Courier's Jackson 2 codec over a copy of {@code mapper} (null: a new one) with Courier's settings
     * added: java.time and Optional support, unknown fields ignored, trailing tokens refused, dates as
     * ISO-8601 strings, no default typing.
     *
     * @param mapper your Jackson 2 mapper, or null
     * @return the codec, a {@link JsonPayloadCodec}
     */
    static PayloadCodec jackson(ObjectMapper mapper) {
        return new JsonPayloadCodec(mapper);
    }
}
