package dev.courier.cli;

import dev.courier.DeadLetter;
import dev.courier.spi.Headers;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Reads the diagnostic headers of a dead letter (docs/guarantees.md, "Retries and dead letters"). */
final class Letters {
    private Letters() {
    }

    static String firstFailure(DeadLetter d) {
        return d.headers().get(Headers.DL_FIRST_FAILURE);
    }

    static String lastFailure(DeadLetter d) {
        return d.headers().get(Headers.DL_LAST_FAILURE);
    }

    static String correlationId(DeadLetter d) {
        return d.headers().get(Headers.CORRELATION_ID);
    }

    /** The last failure's time (else the first's), or null when neither is readable. */
    static Instant failedAt(DeadLetter d) {
        Instant t = instant(lastFailure(d));
        return t != null ? t : instant(firstFailure(d));
    }

    static Instant instant(String iso) {
        if (iso == null) {
            return null;
        }
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** An ISO time to the second, for tables ({@code 2026-11-30T05:12:03Z}); the text as is when unreadable. */
    static String shortTime(String iso) {
        Instant t = instant(iso);
        return t == null ? (iso == null ? "-" : iso) : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** The error type's simple name ({@code dev.x.PaymentDeclined} to {@code PaymentDeclined}). */
    static String simpleErrorType(DeadLetter d) {
        String t = d.errorType();
        if (t == null) {
            return "-";
        }
        int dot = t.lastIndexOf('.');
        return dot < 0 ? t : t.substring(dot + 1);
    }
}
