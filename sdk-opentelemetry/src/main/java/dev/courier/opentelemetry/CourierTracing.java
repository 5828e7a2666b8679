package dev.courier.opentelemetry;

import dev.courier.Envelope;
import dev.courier.InboundChain;
import dev.courier.Interceptor;
import dev.courier.MessageKind;
import dev.courier.OutboundChain;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * OpenTelemetry spans for a bus, as one inbound and outbound {@link Interceptor}: a
 * {@link SpanKind#PRODUCER} span per publish, send, request and reply, and a {@link SpanKind#CONSUMER}
 * span per handler attempt, with the attributes of the OpenTelemetry messaging semantic conventions.
 *
 * <pre>{@code
 * CourierTracing tracing = CourierTracing.create(openTelemetry);
 * MessageBus bus = MessageBus.builder("ordering").interceptor(tracing)...build();
 * }</pre>
 *
 * <p><b>Context.</b> A producer span's parent is the current OpenTelemetry {@link Context} of the
 * publishing thread: inside a handler, that handler's consumer span; on a plain thread, whatever
 * span the application made current (or none: a new trace). The outgoing message's
 * {@code traceparent} is replaced with the producer span's context, so the next hop's consumer span
 * is its child; {@code tracestate} travels with it. A consumer span's parent is the context in the
 * received message's {@code traceparent}/{@code tracestate}; the span is current while the handler
 * (and the interceptors registered after this one) run, so what the handler publishes, and any
 * span it makes, nests under it.
 *
 * <p><b>Spans.</b> Names {@code "send <message name>"} and {@code "process <message name>"} (a reply:
 * {@code "send (temporary)"}; a message written to the JDBC outbox: {@code "create <message name>"}, operation
 * type {@code create}, ending when the row is written — the relay sends it later, and the consumer's span is
 * still its child through the stored {@code traceparent}). Attributes: {@code messaging.system} (rabbitmq, mqtt, websocket,
 * memory, from the transport's protocol), {@code messaging.operation.type} (send, process),
 * {@code messaging.operation.name}, {@code messaging.destination.name}, {@code messaging.message.id},
 * {@code messaging.message.conversation_id} (the correlation id), on consumer spans
 * {@code messaging.consumer.group.name} (the service) and {@code courier.attempt}; a reply's
 * destination is marked {@code messaging.destination.temporary}. A failed handler attempt or publish
 * sets the span's status to ERROR, records the exception and sets {@code error.type}. A producer
 * span ends when the broker confirms the message (for a message a handler made: after the handler
 * succeeded and it was sent).
 *
 * <p>Only the W3C trace context is written to messages, whatever propagators the
 * {@code OpenTelemetry} instance has: it is Courier's wire contract. Thread safe.
 */
public final class CourierTracing implements Interceptor.Inbound, Interceptor.Outbound {
    /** The instrumentation scope name. */
    public static final String INSTRUMENTATION_NAME = "dev.courier";

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<Boolean> TEMPORARY = AttributeKey.booleanKey("messaging.destination.temporary");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONVERSATION_ID = AttributeKey.stringKey("messaging.message.conversation_id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("courier.attempt");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    private static final TextMapSetter<Map<String, String>> SETTER = Map::put;

    private final Tracer tracer;

    private CourierTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /**
     * Spans from {@code openTelemetry}'s tracer provider, scope {@value #INSTRUMENTATION_NAME}.
     *
     * @param openTelemetry the SDK (or agent) instance
     * @return the interceptor to register on each bus
     */
    public static CourierTracing create(OpenTelemetry openTelemetry) {
        return new CourierTracing(openTelemetry.getTracer(INSTRUMENTATION_NAME));
    }

    /** {@code messaging.system} for a Courier transport protocol. */
    static String system(String protocol) {
        return switch (protocol) {
            case "amqp" -> "rabbitmq";
            case "ws" -> "websocket";
            default -> protocol;
        };
    }

    // ---- consumer: one span per handler attempt -----------------------------------------------------

    @Override
    public void intercept(InboundChain chain) throws Exception {
        Envelope env = chain.envelope();
        Context parent = W3C.extract(Context.root(), env.headers(), GETTER);
        SpanBuilder b = tracer.spanBuilder("process " + env.type())
                .setSpanKind(SpanKind.CONSUMER)
                .setParent(parent)
                .setAttribute(SYSTEM, system(chain.protocol()))
                .setAttribute(OPERATION_TYPE, "process")
                .setAttribute(OPERATION_NAME, "process")
                .setAttribute(DESTINATION, env.type())
                .setAttribute(CONSUMER_GROUP, chain.service())
                .setAttribute(ATTEMPT, (long) chain.attempt());
        if (env.id() != null) {
            b.setAttribute(MESSAGE_ID, env.id());
        }
        if (env.correlationId() != null) {
            b.setAttribute(CONVERSATION_ID, env.correlationId());
        }
        Span span = b.startSpan();
        try (Scope ignored = span.makeCurrent()) {
            chain.proceed();
        } catch (Throwable t) {
            failed(span, t);
            throw t;
        } finally {
            span.end();
        }
    }

    // ---- producer: one span per message this bus makes ------------------------------------------------

    @Override
    public CompletableFuture<Void> intercept(OutboundChain chain) {
        Context parent = Context.current();
        if (!Span.fromContext(parent).getSpanContext().isValid() && chain.parent() != null) {
            // made for a handled message on a thread without its span (the handler handed work to another thread)
            parent = W3C.extract(Context.root(), chain.parent().headers(), GETTER);
        }
        boolean reply = chain.kind() == MessageKind.REPLY;
        Envelope env = chain.envelope();
        // a message written to the outbox is created here and sent later by the relay: a "create" span
        String operation = chain.outbox() ? "create" : "send";
        SpanBuilder b = tracer.spanBuilder(reply ? "send (temporary)" : operation + " " + chain.destination())
                .setSpanKind(SpanKind.PRODUCER)
                .setParent(parent)
                .setAttribute(SYSTEM, system(chain.protocol()))
                .setAttribute(OPERATION_TYPE, operation)
                .setAttribute(OPERATION_NAME, chain.outbox() ? "create" : chain.kind() == MessageKind.EVENT ? "publish" : "send")
                .setAttribute(DESTINATION, chain.destination());
        if (reply) {
            b.setAttribute(TEMPORARY, true);
        }
        if (env.id() != null) {
            b.setAttribute(MESSAGE_ID, env.id());
        }
        if (env.correlationId() != null) {
            b.setAttribute(CONVERSATION_ID, env.correlationId());
        }
        Span span = b.startSpan();
        W3C.inject(parent.with(span), chain.headers(), SETTER);
        CompletableFuture<Void> f;
        try {
            f = chain.proceed();
        } catch (RuntimeException e) {
            failed(span, e);
            span.end();
            throw e;
        }
        f.whenComplete((x, e) -> {
            if (e != null) {
                failed(span, e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e);
            }
            span.end();
        });
        return f;
    }

    private static void failed(Span span, Throwable t) {
        span.setStatus(StatusCode.ERROR, String.valueOf(t.getMessage()));
        span.recordException(t);
        span.setAttribute(ERROR_TYPE, t.getClass().getName());
    }
}
