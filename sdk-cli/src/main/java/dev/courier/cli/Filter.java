package dev.courier.cli;

import dev.courier.DeadLetter;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** The filters {@code list}, {@code replay} and {@code discard} share; all given must match. */
final class Filter {
    @Option(names = {"-t", "--type"}, paramLabel = "<type>",
            description = "Only dead letters of this message type, e.g. v1.invoice.create.")
    String type;

    @Option(names = {"-e", "--error"}, paramLabel = "<error>",
            description = "Only dead letters whose last error is of this exception type: its full or simple class name"
                    + " (com.acme.PaymentDeclined or PaymentDeclined).")
    String error;

    @Option(names = "--since", paramLabel = "<time>", converter = Since.class,
            description = "Only dead letters whose last failure is at or after this time: an ISO instant"
                    + " (2026-11-30T04:00:00Z) or an age (30m, 2h, 7d, PT1H: that long ago).")
    Instant since;

    boolean any() {
        return type != null || error != null || since != null;
    }

    boolean matches(DeadLetter d) {
        if (type != null && !type.equals(d.messageType())) {
            return false;
        }
        if (error != null) {
            String e = d.errorType();
            if (e == null || !(e.equals(error) || e.endsWith("." + error) || e.endsWith("$" + error))) {
                return false;
            }
        }
        if (since != null) {
            Instant at = Letters.failedAt(d);
            return at != null && !at.isBefore(since);
        }
        return true;
    }

    /** What the filter selects, in words: "of type v1.x, error Foo". */
    String describe() {
        StringBuilder b = new StringBuilder();
        if (type != null) {
            b.append(" of type ").append(type);
        }
        if (error != null) {
            b.append(b.length() > 0 ? "," : "").append(" with error ").append(error);
        }
        if (since != null) {
            b.append(b.length() > 0 ? "," : "").append(" failed since ").append(since);
        }
        return b.toString();
    }

    /** {@code --since}: an instant or an age. */
    static final class Since implements ITypeConverter<Instant> {
        static Clock clock = Clock.systemUTC();

        @Override
        public Instant convert(String value) {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e) {
                // an offset date-time or an age
            }
            try {
                return OffsetDateTime.parse(value).toInstant();
            } catch (DateTimeParseException e) {
                // an age
            }
            try {
                return clock.instant().minus(Durations.parse(value.toLowerCase(Locale.ROOT)));
            } catch (TypeConversionException e) {
                throw new TypeConversionException("'" + value + "' is neither an ISO time (2026-11-30T04:00:00Z) nor an age"
                        + " (30m, 2h, 7d, PT1H)");
            }
        }
    }
}
