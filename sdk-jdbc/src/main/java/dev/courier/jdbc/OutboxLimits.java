package dev.courier.jdbc;

import dev.courier.LimitExceededException;

import java.util.Map;
import java.util.Set;

/**
 * What an outbox row may hold, in UTF-8 bytes: checked when a row is written (so a message no
 * transport takes is never committed) and again before the relay publishes a row (rows written by
 * an older version or by hand), which then fails the row at once instead of retrying it.
 *
 * <p>The numbers are Courier's own ceilings, named as in the bus's limits: 200-byte attributes
 * (id, type, correlation id, …), 16 KiB per header value, 64 KiB for all headers (names plus
 * values), 16 MiB bodies. This is the seam for the transport's own, smaller limits: once the bus
 * states them, check against the bus's limits here instead of {@link #COURIER}. Internal.
 */
record OutboxLimits(int maxAttributeBytes, int maxHeaderValueBytes, int maxHeadersBytes, int maxBodyBytes) {
    static final OutboxLimits COURIER = new OutboxLimits(200, 16 * 1024, 64 * 1024,
            16 * 1024 * 1024);

    /** The CloudEvents attributes a transport may carry in a short protocol field of its own. */
    private static final Set<String> ATTRIBUTES = Set.of("id", "source", "type", "specversion", "datacontenttype", "time",
            "subject", "correlationid", "causationid", "courierreplyto");

    /**
     * Throws {@link LimitExceededException} naming the first limit that {@code what} breaks, in the
     * words of the bus: {@code <what> is N bytes; the limit maxHeadersBytes is 65536 bytes}.
     * {@code what} is built only for the exception (this runs once per row on the writer's and
     * the relay's path).
     */
    void check(java.util.function.Supplier<String> what, Map<String, String> headers, byte[] body) {
        long total = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            int bytes = utf8Length(e.getValue());
            boolean attribute = ATTRIBUTES.contains(e.getKey());
            int max = attribute ? maxAttributeBytes : maxHeaderValueBytes;
            if (bytes > max) {
                throw broken("header '" + e.getKey() + "' of " + what.get(), attribute ? "maxAttributeBytes" : "maxHeaderValueBytes",
                        bytes, max);
            }
            total += utf8Length(e.getKey()) + bytes;
        }
        if (total > maxHeadersBytes) {
            throw broken("the headers of " + what.get(), "maxHeadersBytes", total, maxHeadersBytes);
        }
        if (body.length > maxBodyBytes) {
            throw broken("the body of " + what.get(), "maxBodyBytes", body.length, maxBodyBytes);
        }
    }

    private static LimitExceededException broken(String what, String limit, long bytes, long max) {
        return new LimitExceededException(what, limit, bytes, max);
    }

    /** UTF-8 bytes of {@code s} without encoding it (an unpaired surrogate counts as the 1-byte '?' written for it). */
    static int utf8Length(String s) {
        return dev.courier.spi.Limits.utf8Length(s);
    }
}
