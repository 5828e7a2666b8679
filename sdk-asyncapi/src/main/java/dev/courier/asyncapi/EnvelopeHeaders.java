package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.Headers;

/**
 * The {@code headers} schema of a message: the CloudEvents 1.0 attributes and Courier's extensions
 * exactly as they travel (AMQP headers, MQTT 5 user properties, or the attributes of a structured
 * JSON event). Every value is a string on the wire.
 */
final class EnvelopeHeaders {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private EnvelopeHeaders() {
    }

    /** What kind of message the headers belong to: a few headers exist for one kind only. */
    enum Kind { EVENT, COMMAND, REPLY, FAILED_REPLY }

    static ObjectNode schema(String messageName, Kind kind) {
        ObjectNode schema = JSON.objectNode().put("type", "object");
        schema.put("description", "CloudEvents 1.0 attributes (binary content mode where the protocol has one)"
                + " and Courier's extensions. Other lower-case a-z0-9 names are user headers.");
        ObjectNode p = schema.putObject("properties");
        string(p, Headers.ID, "Unique id of this message; consumers deduplicate on (service, id).");
        string(p, Headers.SOURCE, "The service that sent the message.");
        string(p, Headers.TYPE, "The message name.").put("const", messageName);
        string(p, Headers.TIME, "When the message was created (RFC 3339).").put("format", "date-time");
        string(p, Headers.SPECVERSION, "CloudEvents spec version.").put("const", Headers.SPEC_VERSION_1_0);
        string(p, Headers.DATACONTENTTYPE, "Content type of the payload.").put("const", "application/json");
        string(p, Headers.CORRELATION_ID, "Names the whole conversation: inherited from the message being handled"
                + " when this one was sent, else equal to id.");
        string(p, Headers.CAUSATION_ID, "The id of the message whose handler sent this one"
                + (kind == Kind.REPLY || kind == Kind.FAILED_REPLY ? " (for a reply: the request's id, which is how a reply is matched)." : "."));
        string(p, Headers.TRACEPARENT, "W3C trace context: the trace id and flags of the message being handled (or a new trace), and a new parent id for this message.");
        string(p, Headers.TRACESTATE, "W3C trace state, kept from the message being handled.");
        if (kind == Kind.COMMAND) {
            string(p, Headers.REPLY_TO, "On a request only: where the reply goes (the requester's reply address).");
            string(p, Headers.DEADLINE, "On a request only: epoch milliseconds after which the requester no"
                    + " longer waits; the handler is skipped after it.").put("pattern", "^[0-9]+$");
        }
        if (kind == Kind.REPLY) {
            string(p, Headers.REPLY_STATUS, "ok: the handler replied with this payload.").put("const", "ok");
        }
        if (kind == Kind.FAILED_REPLY) {
            string(p, Headers.REPLY_STATUS, "error: the request was dead-lettered; the payload is empty.")
                    .put("const", "error");
            string(p, Headers.DL_ERROR_TYPE, "Class name of the handler's last exception.");
            string(p, Headers.DL_ERROR_MESSAGE, "Its message, at most 1024 characters.");
        }
        ArrayNode required = schema.putArray("required");
        required.add(Headers.ID).add(Headers.SOURCE).add(Headers.TYPE).add(Headers.SPECVERSION)
                .add(Headers.TIME).add(Headers.DATACONTENTTYPE).add(Headers.CORRELATION_ID);
        if (kind == Kind.REPLY || kind == Kind.FAILED_REPLY) {
            required.add(Headers.CAUSATION_ID)
                    .add(Headers.REPLY_STATUS);
        }
        schema.putObject("additionalProperties").put("type", "string");
        return schema;
    }

    private static ObjectNode string(ObjectNode properties, String name, String description) {
        return properties.putObject(name).put("type", "string").put("description", description);
    }
}
