package dev.courier.samples.ordering;

import dev.courier.BusListener;
import dev.courier.Envelope;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Prints what each service's bus does as one readable line per step, and keeps the steps so the
 * demo can check its story. A real service would send these hooks to its metrics instead.
 */
final class Trace {
    /** One thing that happened to a message in a service. */
    record Step(String service, String what, String type, String messageId, String correlationId, String detail) {
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private final PrintStream out;
    private final List<Step> steps = new CopyOnWriteArrayList<>();

    Trace(PrintStream out) {
        this.out = out;
    }

    List<Step> steps() {
        return steps;
    }

    void note(String service, String text) {
        out.printf("%s  %-10s %-12s %s%n", LocalTime.now().format(TIME), "", service, text);
    }

    private void record(String service, String what, Envelope env, String messageId, String detail) {
        String type = env != null ? env.type() : "?";
        String corr = env != null ? env.correlationId() : null;
        steps.add(new Step(service, what, type, messageId, corr, detail));
        out.printf("%s  corr=%-8s %-12s %-20s %-20s %s%n", LocalTime.now().format(TIME),
                corr == null ? "-" : corr.substring(0, Math.min(8, corr.length())), service, what, type, detail);
    }

    BusListener listenerFor(String service) {
        return new BusListener() {
            @Override
            public void handled(Envelope envelope, Duration handlerTime) {
                record(service, "handled", envelope, envelope.id(), "ok in " + handlerTime.toMillis() + " ms");
            }

            @Override
            public void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
                record(service, delayed ? "redeliver later" : "retry", envelope, envelope.id(),
                        "attempt " + attempt + " failed: " + error.getMessage());
            }

            @Override
            public void deadLettered(Envelope envelope, String messageId, Throwable error) {
                record(service, "DEAD-LETTERED", envelope, messageId,
                        error.getClass().getSimpleName() + ": " + error.getMessage());
            }

            @Override
            public void duplicate(Envelope envelope) {
                record(service, "duplicate skipped", envelope, envelope.id(), "id " + envelope.id() + " was already handled");
            }
        };
    }
}
