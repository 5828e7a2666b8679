package dev.courier.samples.ordering;

import dev.courier.BusListener;
import dev.courier.Envelope;

import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Prints what each service's bus does as one readable line per step, and keeps the steps so the
 * demo can check its story. A real service would send these hooks to its metrics instead.
 *
 * <p>Only this run's conversations count: a step is kept and printed once its correlation id is
 * known to be one this run started ({@link #starter()} learns them from what the storefront
 * publishes). Steps of other conversations — messages an earlier run left in durable queues — are
 * only counted. A step that arrives just before its conversation is known waits and is printed then.
 */
final class Trace {
    /** One thing that happened to a message in a service. */
    record Step(String service, String what, String type, String messageId, String correlationId, String detail) {
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final int MAX_WAITING = 10_000;
    private final PrintStream out;
    private final Set<String> ours = new HashSet<>();
    private final List<Step> steps = new ArrayList<>();
    private final List<Step> waiting = new ArrayList<>();
    private int others;

    Trace(PrintStream out) {
        this.out = out;
    }

    /** This run's steps so far. */
    synchronized List<Step> steps() {
        return List.copyOf(steps);
    }

    /** The correlation ids of the conversations this run started. */
    synchronized Set<String> conversations() {
        return Set.copyOf(ours);
    }

    /** How many steps belonged to other runs' messages. */
    synchronized int otherRunsSteps() {
        return others + waiting.size();
    }

    void note(String service, String text) {
        out.printf("%s  %-10s %-12s %s%n", LocalTime.now().format(TIME), "", service, text);
    }

    private synchronized void record(String service, String what, Envelope env, String messageId, String detail) {
        String type = env != null ? env.type() : "?";
        String corr = env != null ? env.correlationId() : null;
        Step step = new Step(service, what, type, messageId, corr, detail);
        if (corr != null && ours.contains(corr)) {
            keep(step);
        } else if (waiting.size() < MAX_WAITING) {
            waiting.add(step);
        } else {
            others++;
        }
    }

    private synchronized void ours(String correlationId) {
        if (!ours.add(correlationId)) {
            return;
        }
        for (Iterator<Step> it = waiting.iterator(); it.hasNext(); ) {
            Step s = it.next();
            if (correlationId.equals(s.correlationId())) {
                it.remove();
                keep(s);
            }
        }
    }

    private void keep(Step s) {
        steps.add(s);
        String corr = s.correlationId();
        out.printf("%s  corr=%-8s %-12s %-20s %-20s %s%n", LocalTime.now().format(TIME),
                corr.substring(0, Math.min(8, corr.length())), s.service(), s.what(), s.type(), s.detail());
    }

    /** For the bus that starts conversations: every message it publishes (a root: correlation id = its id) is this run's. */
    BusListener starter() {
        return new BusListener() {
            @Override
            public void published(String messageType, String messageId) {
                ours(messageId);
            }
        };
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
