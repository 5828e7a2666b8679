package dev.courier;

import java.time.OffsetDateTime;
import java.util.Map;

/**
 * The CloudEvents 1.0 attributes around a payload, as received.
 *
 * @param id            unique per message
 * @param source        the service that sent it
 * @param type          the message name, e.g. {@code v1.order.placed}
 * @param time          when it was created
 * @param correlationId names the whole conversation; a root message's own id
 * @param causationId   the id of the message whose handler sent this one, or null for a root
 * @param subject       the CloudEvents subject, or null
 * @param headers       every attribute and extension as it travelled (CloudEvents names)
 */
public record Envelope(String id, String source, String type, OffsetDateTime time, String correlationId,
                       String causationId, String subject, Map<String, String> headers) {
    public Envelope {
        headers = Map.copyOf(headers);
    }

    /** One header by its CloudEvents name, or null. */
    public String header(String name) {
        return headers.get(name);
    }
}
