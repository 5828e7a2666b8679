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

    public String id() {
        return id;
    }

    public String source() {
        return source;
    }

    public String type() {
        return type;
    }

    /** When the message was created, or null when absent or unreadable. */
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

    public String correlationId() {
        return correlationId;
    }

    public String causationId() {
        return causationId;
    }

    public String subject() {
        return subject;
    }

    /** Every attribute and extension as it travelled, by CloudEvents name. */
    public Map<String, String> headers() {
        return headers;
    }

    /** One header by its CloudEvents name, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public String toString() {
        return "Envelope{id=" + id + ", type=" + type + ", source=" + source + ", correlationId=" + correlationId
                + ", causationId=" + causationId + "}";
    }
}
