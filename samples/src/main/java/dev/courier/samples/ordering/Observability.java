package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.micrometer.CourierMetrics;
import dev.courier.opentelemetry.CourierTracing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The demo's metrics and traces, wired the way a plain {@code main} does it (docs/observability.md):
 * one {@link CourierMetrics} on a Micrometer registry and one {@link CourierTracing} on an
 * OpenTelemetry SDK, registered on every bus. Spans are kept in memory and drawn as an SVG timeline.
 */
final class Observability implements AutoCloseable {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CourierMetrics metrics = CourierMetrics.of(registry);
    private final List<SpanData> spans = new CopyOnWriteArrayList<>();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(new Keep(spans))).build();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    private final CourierTracing tracing = CourierTracing.create(otel);
    private final Tracer tracer = otel.getTracer("dev.courier.samples");

    /** Tracing outermost (its CONSUMER span covers the metrics link), then metrics. */
    MessageBus.Builder wire(MessageBus.Builder builder) {
        return builder.interceptor(tracing).interceptor(metrics);
    }

    /** Runs {@code work} inside an application span of its own, as a web request handler would; returns its trace id. */
    <T> T inSpan(String name, Supplier<T> work, String[] traceId) {
        Span span = tracer.spanBuilder(name).setSpanKind(SpanKind.SERVER).startSpan();
        traceId[0] = span.getSpanContext().getTraceId();
        try (Scope ignored = span.makeCurrent()) {
            return work.get();
        } finally {
            span.end();
        }
    }

    /** The services with a CONSUMER span in {@code traceId}. */
    Set<String> servicesIn(String traceId) {
        return spans.stream().filter(s -> s.getTraceId().equals(traceId) && s.getKind() == SpanKind.CONSUMER)
                .map(s -> s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("messaging.consumer.group.name")))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Draws the spans of {@code traceId} to {@code file}; returns how many there were. */
    int draw(String traceId, String title, Path file) throws IOException {
        List<SpanData> trace = spans.stream().filter(s -> s.getTraceId().equals(traceId)).collect(Collectors.toList());
        Files.createDirectories(file.getParent());
        Files.writeString(file, SpanTimeline.render(title, trace));
        return trace.size();
    }

    /** One line per service: handler attempts by outcome, retries, dead letters, duplicates. */
    void printMetrics(PrintStream out) {
        Set<String> services = registry.getMeters().stream().map(m -> m.getId().getTag("service"))
                .filter(s -> s != null).collect(Collectors.toCollection(TreeSet::new));
        for (String service : services) {
            StringBuilder line = new StringBuilder("  ").append(service).append(":");
            for (String outcome : List.of("success", "retry", "dead_letter", "duplicate")) {
                long n = registry.find(CourierMetrics.HANDLER_DURATION).tags("service", service, "outcome", outcome)
                        .timers().stream().mapToLong(Timer::count).sum();
                if (n > 0) {
                    line.append(" handled ").append(outcome).append('=').append(n);
                }
            }
            long published = registry.find(CourierMetrics.PUBLISH).tags("service", service, "outcome", "ok").timers()
                    .stream().mapToLong(Timer::count).sum();
            double dead = registry.find(CourierMetrics.DEAD_LETTERS).tags("service", service).counters().stream()
                    .mapToDouble(Counter::count).sum();
            line.append(" published=").append(published);
            if (dead > 0) {
                line.append(" dead_letters=").append((long) dead);
            }
            out.println(line);
        }
    }

    @Override
    public void close() {
        provider.close();
    }

    /** Keeps every ended span (the demo's runs are small). */
    private record Keep(List<SpanData> into) implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> batch) {
            into.addAll(batch);
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
