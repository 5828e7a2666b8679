package dev.courier.opentelemetry;

import dev.courier.micrometer.TestTransports;
import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.kit.Await;
import dev.courier.spi.Headers;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request → event → event chain across four services with {@link CourierTracing}: one trace, each
 * span's parent checked by id, the traceparent on the wire carrying the producer span's id. A
 * transport's subclass says how to reach its broker.
 */
abstract class TracingChainTest {

    @MessageName("v1.otel.order.place")
    record PlaceOrder(int n) implements Command {
    }

    record Accepted(int n) {
    }

    @MessageName("v1.otel.order.placed")
    record OrderPlaced(int n) implements Event {
    }

    @MessageName("v1.otel.parcel.packed")
    record ParcelPacked(int n) implements Event {
    }

    static final Duration PATIENCE = Duration.ofSeconds(30);
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    final OpenTelemetry otel = OpenTelemetrySdk.builder().setTracerProvider(provider).build();
    private final List<MessageBus> buses = new ArrayList<>();

    private TestTransports.TestTransport transport;

    /** This test's transport, made fresh for each test. */
    abstract TestTransports.TestTransport transport();

    @org.junit.jupiter.api.BeforeEach
    void open() {
        transport = transport();
    }

    String system() {
        return transport.system();
    }

    MessageBus start(String service, java.util.function.UnaryOperator<MessageBus.Builder> config) {
        MessageBus b = config.apply(transport.on(MessageBus.builder(service)).interceptor(CourierTracing.create(otel))
                .produces(PlaceOrder.class, OrderPlaced.class, ParcelPacked.class)).build();
        buses.add(b);
        return b.start();
    }

    @AfterEach
    void tearDown() {
        buses.forEach(MessageBus::close);
        provider.close();
        if (transport != null) {
            transport.close();
        }
    }

    @Test
    void aRequestEventEventChainIsOneTraceWithCorrectlyNestedSpans() {
        Map<String, String> wire = new ConcurrentHashMap<>();
        start("ordering", b -> b.onCommand(PlaceOrder.class, (c, ctx) -> {
            wire.put("request", ctx.envelope().header(Headers.TRACEPARENT));
            ctx.reply(new Accepted(c.n()));
            ctx.publish(new OrderPlaced(c.n()));
        }));
        start("packing", b -> b.onEvent(OrderPlaced.class, (e, ctx) -> {
            wire.put("placed", ctx.envelope().header(Headers.TRACEPARENT));
            ctx.publish(new ParcelPacked(e.n()));
        }));
        start("shipping", b -> b.onEvent(ParcelPacked.class, (e, ctx) -> wire.put("packed", ctx.envelope().header(Headers.TRACEPARENT))));
        MessageBus storefront = start("storefront", b -> b);

        // the application's own span on a plain thread: the request must continue it
        Span checkout = otel.getTracer("test").spanBuilder("checkout").startSpan();
        try (Scope ignored = checkout.makeCurrent()) {
            storefront.request(new PlaceOrder(7), Accepted.class, PATIENCE).join();
        } finally {
            checkout.end();
        }
        Await.until(PATIENCE, () -> span("process v1.otel.parcel.packed") != null && span("send v1.otel.parcel.packed") != null
                && span("send (temporary)") != null && span("send v1.otel.order.placed") != null,
                () -> "spans so far: " + names());

        SpanData sendRequest = span("send v1.otel.order.place");
        SpanData processRequest = span("process v1.otel.order.place");
        SpanData sendReply = span("send (temporary)");
        SpanData sendPlaced = span("send v1.otel.order.placed");
        SpanData processPlaced = span("process v1.otel.order.placed");
        SpanData sendPacked = span("send v1.otel.parcel.packed");
        SpanData processPacked = span("process v1.otel.parcel.packed");
        String trace = checkout.getSpanContext().getTraceId();
        for (SpanData s : List.of(sendRequest, processRequest, sendReply, sendPlaced, processPlaced, sendPacked, processPacked)) {
            assertEquals(trace, s.getTraceId(), s.getName() + " is in the checkout's trace: " + names());
        }
        assertParent(checkout.getSpanContext().getSpanId(), sendRequest);
        assertParent(sendRequest.getSpanId(), processRequest);
        assertParent(processRequest.getSpanId(), sendReply);
        assertParent(processRequest.getSpanId(), sendPlaced);
        assertParent(sendPlaced.getSpanId(), processPlaced);
        assertParent(processPlaced.getSpanId(), sendPacked);
        assertParent(sendPacked.getSpanId(), processPacked);

        // on the wire: each message's traceparent names its producer span (flags as the SDK sets them: sampled, and
        // from OTel 1.6x also the W3C level-2 "random" bit)
        assertTrue(sendRequest.getSpanContext().getTraceFlags().isSampled());
        assertEquals("00-" + trace + "-" + sendRequest.getSpanId() + "-" + sendRequest.getSpanContext().getTraceFlags().asHex(), wire.get("request"));
        assertEquals("00-" + trace + "-" + sendPlaced.getSpanId() + "-" + sendPlaced.getSpanContext().getTraceFlags().asHex(), wire.get("placed"));
        assertEquals("00-" + trace + "-" + sendPacked.getSpanId() + "-" + sendPacked.getSpanContext().getTraceFlags().asHex(), wire.get("packed"));

        assertEquals(SpanKind.PRODUCER, sendPlaced.getKind());
        assertEquals(SpanKind.CONSUMER, processPlaced.getKind());
        assertEquals(system(), processPlaced.getAttributes().get(CourierTracing.SYSTEM));
        assertEquals("process", processPlaced.getAttributes().get(CourierTracing.OPERATION_TYPE));
        assertEquals("send", sendPlaced.getAttributes().get(CourierTracing.OPERATION_TYPE));
        assertEquals("v1.otel.order.placed", processPlaced.getAttributes().get(CourierTracing.DESTINATION));
        assertEquals("v1.otel.order.placed", sendPlaced.getAttributes().get(CourierTracing.DESTINATION));
        assertEquals("packing", processPlaced.getAttributes().get(CourierTracing.CONSUMER_GROUP));
        assertNotNull(processPlaced.getAttributes().get(CourierTracing.MESSAGE_ID));
        assertEquals(sendPlaced.getAttributes().get(CourierTracing.MESSAGE_ID),
                processPlaced.getAttributes().get(CourierTracing.MESSAGE_ID), "one message id on both sides");
        assertEquals(sendRequest.getAttributes().get(CourierTracing.MESSAGE_ID),
                processPacked.getAttributes().get(CourierTracing.CONVERSATION_ID), "the correlation id names the conversation");
        assertEquals(Boolean.TRUE, sendReply.getAttributes().get(CourierTracing.TEMPORARY));

        // the picture in docs/observability.md is this file, from the memory run
        List<SpanData> all = exporter.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(trace)).toList();
        try {
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", getClass().getSimpleName() + "-trace.svg"),
                    TraceSvg.render("storefront → ordering → packing → shipping (" + system() + ")", all));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aPublishWithoutContextStartsATraceAndAFailedAttemptIsAnErrorSpan() {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        start("flaky", b -> b.retryPolicy(dev.courier.RetryPolicy.custom().maxAttempts(2)
                .initialBackoff(Duration.ofMillis(1)).redeliveryDelays(List.of()).build())
                .onEvent(OrderPlaced.class, (e, ctx) -> {
                    if (calls.incrementAndGet() == 1) {
                        throw new IllegalStateException("first attempt fails");
                    }
                }));
        MessageBus pub = start("publisher", b -> b);
        assertFalse(Span.current().getSpanContext().isValid(), "no context on this thread");
        pub.publish(new OrderPlaced(1)).join();
        Await.until(PATIENCE, () -> spans("process v1.otel.order.placed").size() == 2, () -> "spans: " + names());
        SpanData send = span("send v1.otel.order.placed");
        assertFalse(send.getParentSpanContext().isValid(), "a root span: a new trace");
        List<SpanData> attempts = spans("process v1.otel.order.placed");
        for (SpanData a : attempts) {
            assertParent(send.getSpanId(), a);
            assertEquals(send.getTraceId(), a.getTraceId());
        }
        SpanData failed = attempts.stream().filter(a -> a.getAttributes().get(CourierTracing.ATTEMPT) == 1L).findFirst().orElseThrow();
        SpanData ok = attempts.stream().filter(a -> a.getAttributes().get(CourierTracing.ATTEMPT) == 2L).findFirst().orElseThrow();
        assertEquals(StatusCode.ERROR, failed.getStatus().getStatusCode());
        assertEquals(IllegalStateException.class.getName(), failed.getAttributes().get(CourierTracing.ERROR_TYPE));
        assertTrue(failed.getEvents().stream().anyMatch(ev -> ev.getName().equals("exception")), "the exception is recorded");
        assertEquals(StatusCode.UNSET, ok.getStatus().getStatusCode());
    }

    private static void assertParent(String parentSpanId, SpanData child) {
        assertEquals(parentSpanId, child.getParentSpanId(), child.getName() + " should be the child of span " + parentSpanId);
    }

    private SpanData span(String name) {
        List<SpanData> found = spans(name);
        return found.isEmpty() ? null : found.get(0);
    }

    private List<SpanData> spans(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).collect(Collectors.toList());
    }

    private String names() {
        return exporter.getFinishedSpanItems().stream().map(s -> s.getName() + "(" + s.getSpanId() + "<-" + s.getParentSpanId() + ")")
                .collect(Collectors.joining(", "));
    }
}
