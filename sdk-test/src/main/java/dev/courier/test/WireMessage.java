package dev.courier.test;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * A message as it went onto the (in-memory) wire and was taken by the broker: where it went, its
 * CloudEvents headers and its JSON body.
 *
 * @param kind    event, command, reply or dead letter
 * @param address the message name (events, commands), reply address or service (dead letters)
 * @param group   the one service it was sent to (a replay or redelivery), or null
 * @param headers every header as it travelled, by CloudEvents name
 * @param body    the JSON body
 * @param at      when the broker took it (the bus's clock is not consulted: wall time)
 */
public record WireMessage(Address.Kind kind, String address, String group, Map<String, String> headers, byte[] body,
                          Instant at) {

    private static final ObjectMapper MAPPER = JsonMapper.builder().findAndAddModules()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /**
     * Copies the headers (unmodifiable).
     *
     * @param kind    event, command, reply or dead letter
     * @param address the message name, reply address or service
     * @param group   the one service it was sent to, or null
     * @param headers every header as it travelled
     * @param body    the JSON body
     * @param at      when the broker took it
     */
    public WireMessage {
        headers = Map.copyOf(headers);
    }

    /** @return the message name ({@code type}), e.g. {@code v1.order.placed} */
    public String type() {
        return headers.get(Headers.TYPE);
    }

    /** @return the message id */
    public String id() {
        return headers.get(Headers.ID);
    }

    /** @return the sending service ({@code source}) */
    public String source() {
        return headers.get(Headers.SOURCE);
    }

    /** @return the conversation's id */
    public String correlationId() {
        return headers.get(Headers.CORRELATION_ID);
    }

    /** @return the id of the message whose handler sent this one, or null for a root message */
    public String causationId() {
        return headers.get(Headers.CAUSATION_ID);
    }

    /**
     * @param name a CloudEvents attribute or extension name
     * @return that header, or null
     */
    public String header(String name) {
        return headers.get(name);
    }

    /** @return the body as UTF-8 text (JSON) */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /**
     * Decodes the body the way a bus with the default mapper would.
     *
     * @param type the record (or class) to decode into
     * @param <T>  the type
     * @return the payload
     * @throws UncheckedIOException when the body is not JSON of that shape
     */
    public <T> T payload(Class<T> type) {
        try {
            return MAPPER.readValue(body, type);
        } catch (IOException e) {
            throw new UncheckedIOException("the body of " + type() + " " + id() + " is not a " + type.getName()
                    + ": " + bodyText(), e);
        }
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + " " + type() + " id=" + id() + " from " + source() + " to " + address
                + (group != null ? "@" + group : "") + " corr=" + correlationId() + " " + bodyText();
    }
}
