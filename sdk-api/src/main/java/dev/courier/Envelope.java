package dev.courier;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;

/**
 * The CloudEvents 1.0 attributes around a payload, as received: {@code id} (unique per message),
 * {@code source} (the sending service), {@code type} (the message name), {@code time}, the
 * {@code correlationid} that names the whole conversation (a root message's own id), the
 * {@code causationid} (the id of the message whose handler sent this one; null for a root),
 * the optional {@code subject}, and every header as it travelled.
 */
public final class Envelope {
    private final String id;
    private final String source;
    private final String type;
    private final String timeText;
    private final String correlationId;
    private final String causationId;
    private final String subject;
    private final Map<String, String> headers;
    private volatile OffsetDateTime time;

    /**
     * Made by Courier when a message arrives; public for transports and tests.
     *
     * @param id            the message id ({@code id})
     * @param source        the sending service ({@code source})
     * @param type          the message name ({@code type})
     * @param time          the creation time as it travelled (RFC 3339), or null
     * @param correlationId the conversation's id ({@code correlationid})
     * @param causationId   the id of the message whose handler sent this one, or null for a root
     * @param subject       the CloudEvents {@code subject}, or null
     * @param headers       every attribute and extension as it travelled, by CloudEvents name
     */
    public Envelope(String id, String source, String type, String time, String correlationId, String causationId,
                    String subject, Map<String, String> headers) {
        this.id = id;
        this.source = source;
        this.type = type;
        this.timeText = time;
        this.correlationId = correlationId;
        this.causationId = causationId;
        this.subject = subject;
        this.headers = Collections.unmodifiableMap(Objects.requireNonNull(headers, "headers"));
    }

    /** @return the message id, unique per message ({@code id}) */
    public String id() {
        return id;
    }

    /** @return the sending service ({@code source}) */
    public String source() {
        return source;
    }

    /** @return the message name, e.g. {@code v1.order.placed} ({@code type}) */
    public String type() {
        return type;
    }

    /** @return when the message was created, or null when absent or unreadable */
    public OffsetDateTime time() {
        OffsetDateTime t = time;
        if (t == null && timeText != null) {
            try {
                t = OffsetDateTime.ofInstant(Instant.parse(timeText), ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                try {
                    t = OffsetDateTime.parse(timeText);
                } catch (DateTimeParseException ignored) {
                    return null;
                }
            }
            time = t;
        }
        return t;
    }

    /** @return the id of the whole conversation: a root message's own id ({@code correlationid}) */
    public String correlationId() {
        return correlationId;
    }

    /** @return the id of the message whose handler sent this one; null for a root ({@code causationid}) */
    public String causationId() {
        return causationId;
    }

    /** @return the CloudEvents {@code subject}, or null */
    public String subject() {
        return subject;
    }

    /** @return every attribute and extension as it travelled, by CloudEvents name (unmodifiable) */
    public Map<String, String> headers() {
        return headers;
    }

    /**
     * @param name a CloudEvents attribute or extension name, e.g. {@code correlationid}
     * @return that header's value, or null
     */
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public String toString() {
        return "Envelope{id=" + id + ", type=" + type + ", source=" + source + ", correlationId=" + correlationId
                + ", causationId=" + causationId + "}";
    }
}
