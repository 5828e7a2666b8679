package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A message in its wire form, made by a bus but not sent: where it goes, its CloudEvents headers and
 * its encoded body. This is the seam for a transactional outbox (courier-jdbc):
 * {@link MessageBus#prepareForOutbox} makes one (through the outbound interceptors, checked against
 * the limits) and hands it to your code to store; later {@link MessageBus#sendPrepared} sends a stored
 * one as it is. Application code publishes with {@link MessageBus#publish}/{@link MessageBus#send}.
 *
 * <p>Immutable, except that {@link #body()} returns the array itself (no copy, it may be large):
 * do not change it.
 */
public final class PreparedMessage {
    private final Address to;
    private final Map<String, String> headers;
    private final byte[] body;

    private PreparedMessage(Address to, Map<String, String> headers, byte[] body) {
        this.to = Objects.requireNonNull(to, "to");
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(headers, "headers")));
        this.body = Objects.requireNonNull(body, "body");
    }

    /**
     * A prepared message read back from storage, to hand to {@link MessageBus#sendPrepared}. The headers
     * are sent as they are: store and restore what {@link MessageBus#prepareForOutbox} gave you.
     *
     * @param to      where it goes
     * @param headers its wire headers, including {@code id} and {@code type}
     * @param body    its encoded body (not copied)
     * @return the message
     * @throws NullPointerException when an argument is null
     */
    public static PreparedMessage of(Address to, Map<String, String> headers, byte[] body) {
        return new PreparedMessage(to, headers, body);
    }

    /** @return where it goes */
    public Address to() {
        return to;
    }

    /** @return its wire headers (unmodifiable) */
    public Map<String, String> headers() {
        return headers;
    }

    /** @return its encoded body, the array itself: do not change it */
    public byte[] body() {
        return body;
    }

    /** @return its message id (the {@code id} header), or null when the headers have none */
    public String id() {
        return headers.get(Headers.ID);
    }

    /** @return its message name (the {@code type} header), or null when the headers have none */
    public String type() {
        return headers.get(Headers.TYPE);
    }

    @Override
    public String toString() {
        return "PreparedMessage[" + type() + " " + id() + " to " + to + ", " + body.length + " bytes]";
    }
}
