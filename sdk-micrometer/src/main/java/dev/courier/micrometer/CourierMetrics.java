package dev.courier.micrometer;

import dev.courier.AttemptOutcome;
import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.InboundChain;
import dev.courier.MessageBus;
import dev.courier.Interceptor;
import dev.courier.OutboundChain;
import dev.courier.PublishException;
import dev.courier.RemoteHandlerException;
import dev.courier.ReplyLostException;
import dev.courier.RequestTimeoutException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Courier's metrics on a Micrometer registry: one object that is an inbound and an outbound
 * {@link Interceptor}, a {@link BusListener} and a {@link MeterBinder}. Register it on every bus
 * whose messages you want measured (one instance may serve several buses; the {@code service} tag
 * tells them apart):
 *
 * <pre>{@code
 * CourierMetrics metrics = CourierMetrics.of(registry);
 * MessageBus bus = MessageBus.builder("ordering").interceptor(metrics)...build();
 * }</pre>
 *
 * <table>
 *   <caption>Meters (tags: {@code service}, {@code message.type}, and the ones named)</caption>
 *   <tr><th>name</th><th>type</th><th>extra tags</th><th>what</th></tr>
 *   <tr><td>{@value #PUBLISH}</td><td>timer</td><td>{@code message.kind}, {@code outcome} ok|failed|stored</td>
 *       <td>from the publish (send, request, reply) to the broker's confirm; {@code stored}: written to the JDBC
 *       outbox (the relay's confirm is not seen here)</td></tr>
 *   <tr><td>{@value #HANDLER_DURATION}</td><td>timer</td><td>{@code outcome} success|retry|dead_letter|given_back|duplicate</td>
 *       <td>one handler attempt, interceptors inside the metrics link included; a duplicate records 0 (the handler did not run)</td></tr>
 *   <tr><td>{@value #RETRIES}</td><td>counter</td><td>{@code stage} immediate|delayed</td><td>failed attempts that are tried again</td></tr>
 *   <tr><td>{@value #DEAD_LETTERS}</td><td>counter</td><td>{@code error.type}</td><td>messages dead-lettered (confirmed);
 *       {@code message.type} is {@code undecodable} for a message that could not be read</td></tr>
 *   <tr><td>{@value #DUPLICATES}</td><td>counter</td><td></td><td>deliveries skipped as already handled</td></tr>
 *   <tr><td>{@value #HANDLERS_ACTIVE}</td><td>gauge</td><td></td><td>handler attempts running now</td></tr>
 *   <tr><td>{@value #REPLY_LATENCY}</td><td>timer</td><td>{@code outcome} ok|timeout|remote_error|lost|failed</td>
 *       <td>from a request to its reply (or failure); {@code message.type} is the request's</td></tr>
 *   <tr><td>{@value #PUBLISH_IN_FLIGHT}, {@value #PUBLISH_WINDOW}</td><td>gauges, tag {@code service} only</td><td></td>
 *       <td>publish-window occupancy of a {@link #monitor monitored} bus, where its transport has a window (AMQP, WebSocket, MQTT)</td></tr>
 *   <tr><td>{@value #TRANSPORT_CONNECTED}, {@value #SUBSCRIPTIONS_LIVE}</td><td>gauges (1 or 0), tag {@code service}
 *       only</td><td></td><td>the bus's {@link MessageBus#health()}, for buses passed to {@link #monitor}</td></tr>
 * </table>
 *
 * <p>Tags never carry ids: a message type is one of the names the service registered (a reply's is
 * its type, never its reply address). Before {@link #bindTo} nothing is recorded. Thread safe; the
 * interceptor methods run on the threads {@link Interceptor} names and add a map look-up and a
 * clock read per message.
 */
public final class CourierMetrics implements Interceptor.Inbound, Interceptor.Outbound, BusListener, MeterBinder {
    /** Timer: from a publish, send, request or reply to the broker's confirm. */
    public static final String PUBLISH = "courier.publish";
    /** Timer: one handler attempt, by outcome. */
    public static final String HANDLER_DURATION = "courier.handler.duration";
    /** Counter: failed attempts tried again, by stage. */
    public static final String RETRIES = "courier.retries";
    /** Counter: messages dead-lettered, by error type. */
    public static final String DEAD_LETTERS = "courier.dead_letters";
    /** Counter: deliveries skipped as already handled. */
    public static final String DUPLICATES = "courier.duplicates";
    /** Gauge: handler attempts running now. */
    public static final String HANDLERS_ACTIVE = "courier.handlers.active";
    /** Timer: from a request to its reply or failure, by outcome. */
    public static final String REPLY_LATENCY = "courier.reply.latency";
    /** Gauge (1/0): the transport of a {@link #monitor monitored} bus is connected. */
    public static final String TRANSPORT_CONNECTED = "courier.transport.connected";
    /** Gauge: publishes of a {@link #monitor monitored} bus waiting for the broker's confirm (transports with a window). */
    public static final String PUBLISH_IN_FLIGHT = "courier.publish.in_flight";
    /** Gauge: the size of that window. */
    public static final String PUBLISH_WINDOW = "courier.publish.window";
    /** Gauge (1/0): every handler subscription of a {@link #monitor monitored} bus is live. */
    public static final String SUBSCRIPTIONS_LIVE = "courier.subscriptions.live";

    private volatile MeterRegistry registry;
    private final Map<Key, Timer> timers = new ConcurrentHashMap<>();
    private final Map<Key, Counter> counters = new ConcurrentHashMap<>();

    /** One meter's identity: name and up to four tag values (service, message type, two more). */
    private record Key(String name, String service, String type, String k1, String v1, String k2, String v2) {
    }

    private CourierMetrics() {
    }

    /**
     * Unbound: records nothing until {@link #bindTo} (the {@link MeterBinder} way).
     *
     * @return a new, unbound instance
     */
    public static CourierMetrics create() {
        return new CourierMetrics();
    }

    /**
     * Bound to {@code registry}.
     *
     * @param registry where the meters go
     * @return a new, bound instance
     */
    public static CourierMetrics of(MeterRegistry registry) {
        CourierMetrics m = new CourierMetrics();
        m.bindTo(registry);
        return m;
    }

    /**
     * Binds to {@code registry}; once. For several registries bind a {@code CompositeMeterRegistry}.
     *
     * @param registry where the meters go
     * @throws IllegalStateException when already bound to another registry
     */
    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        if (this.registry != null && this.registry != registry) {
            throw new IllegalStateException("CourierMetrics is already bound to a registry; bind a CompositeMeterRegistry"
                    + " to report to several");
        }
        this.registry = registry;
    }

    /**
     * Adds the gauges {@value #TRANSPORT_CONNECTED} and {@value #SUBSCRIPTIONS_LIVE} (1 or 0, tag
     * {@code service}) read from {@code bus.health()} whenever the registry is scraped, 0 once the bus is
     * closed; and, where the transport has a publish window (AMQP, WebSocket, MQTT), {@value #PUBLISH_IN_FLIGHT} and
     * {@value #PUBLISH_WINDOW}. The gauges hold the bus weakly. Call it after {@link #bindTo}.
     *
     * @param bus the bus to watch
     * @return the same bus
     * @throws IllegalStateException when not bound to a registry yet
     */
    public MessageBus monitor(MessageBus bus) {
        MeterRegistry r = registry;
        if (r == null) {
            throw new IllegalStateException("bind CourierMetrics to a registry before monitor(bus)");
        }
        Gauge.builder(TRANSPORT_CONNECTED, bus, b -> b.health().transportConnected() ? 1 : 0).tag("service", bus.service())
                .description("1 while the bus's transport is connected").register(r);
        Gauge.builder(SUBSCRIPTIONS_LIVE, bus, b -> b.health().subscriptionsLive() ? 1 : 0).tag("service", bus.service())
                .description("1 while every handler subscription of the bus is live").register(r);
        if (window(bus) != null) {
            Gauge.builder(PUBLISH_IN_FLIGHT, bus, b -> window(b).inFlight())
                    .tag("service", bus.service()).description("Publishes waiting for the broker's confirm").register(r);
            Gauge.builder(PUBLISH_WINDOW, bus, b -> window(b).capacity())
                    .tag("service", bus.service()).description("How many publishes may wait for their confirm at once")
                    .register(r);
        }
        return bus;
    }

    /** The publish window of a bus's transport, or null. */
    private static dev.courier.spi.Transport.PublishWindow window(MessageBus bus) {
        return bus.description().publishWindow().orElse(null);
    }

    // ---- inbound: around each handler attempt -------------------------------------------------------

    @Override
    public void intercept(InboundChain chain) throws Exception {
        if (registry == null) {
            chain.proceed();
            return;
        }
        Meters m = meters(chain.service(), chain.envelope().type());
        m.active.incrementAndGet();
        long t0 = System.nanoTime();
        AttemptOutcome outcome = AttemptOutcome.SUCCESS;
        try {
            chain.proceed();
        } catch (Throwable t) {
            outcome = chain.outcomeOf(t);
            throw t;
        } finally {
            m.active.decrementAndGet();
            m.handler(outcome).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            if (outcome == AttemptOutcome.RETRY || outcome == AttemptOutcome.REDELIVERY) {
                m.retry(outcome == AttemptOutcome.RETRY).increment();
            }
        }
    }

    /**
     * The meters of one (service, message type), found with two look-ups by string and no allocation on
     * the per-message path; each meter is registered when first used.
     */
    private final class Meters {
        final String service;
        final String type;
        final AtomicInteger active = new AtomicInteger();
        final Timer[] handler = new Timer[AttemptOutcome.values().length];
        final Counter[] retries = new Counter[2];
        /** [kind ordinal][0 ok, 1 failed, 2 stored] */
        final Timer[][] publish = new Timer[dev.courier.MessageKind.values().length][3];

        Meters(String service, String type) {
            this.service = service;
            this.type = type;
            Gauge.builder(HANDLERS_ACTIVE, active, AtomicInteger::get).tag("service", service).tag("message.type", type)
                    .description("Handler attempts running now").register(registry);
        }

        Timer handler(AttemptOutcome o) {
            Timer t = handler[o.ordinal()];
            if (t == null) {
                t = timer(HANDLER_DURATION, service, type, "outcome", outcomeTag(o), null, null);
                handler[o.ordinal()] = t;
            }
            return t;
        }

        Counter retry(boolean immediate) {
            int i = immediate ? 0 : 1;
            Counter c = retries[i];
            if (c == null) {
                c = counter(RETRIES, service, type, "stage", immediate ? "immediate" : "delayed");
                retries[i] = c;
            }
            return c;
        }

        /** {@code outcome} 0 ok, 1 failed, 2 stored (written to the outbox). */
        Timer publish(dev.courier.MessageKind kind, int outcome) {
            Timer t = publish[kind.ordinal()][outcome];
            if (t == null) {
                t = timer(PUBLISH, service, type, "message.kind", kind.name().toLowerCase(java.util.Locale.ROOT), "outcome",
                        outcome == 0 ? "ok" : outcome == 1 ? "failed" : "stored");
                publish[kind.ordinal()][outcome] = t;
            }
            return t;
        }
    }

    private final Map<String, Map<String, Meters>> byService = new ConcurrentHashMap<>();

    private Meters meters(String service, String type) {
        Map<String, Meters> byType = byService.get(service);
        if (byType == null) {
            byType = byService.computeIfAbsent(service, k -> new ConcurrentHashMap<>());
        }
        Meters m = byType.get(type);
        if (m == null) {
            m = byType.computeIfAbsent(type, k -> new Meters(service, k));
        }
        return m;
    }

    private static String outcomeTag(AttemptOutcome o) {
        return switch (o) {
            case SUCCESS -> "success";
            case RETRY, REDELIVERY -> "retry";
            case DEAD_LETTER -> "dead_letter";
            case GIVEN_BACK -> "given_back";
        };
    }

    // ---- outbound: before each publish, send, request, reply ---------------------------------------

    @Override
    public CompletableFuture<Void> intercept(OutboundChain chain) {
        if (registry == null) {
            return chain.proceed();
        }
        Meters m = meters(chain.service(), chain.envelope().type());
        dev.courier.MessageKind kind = chain.kind();
        long t0 = System.nanoTime();
        CompletableFuture<Void> f;
        try {
            f = chain.proceed();
        } catch (RuntimeException e) {
            m.publish(kind, 1).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
            throw e;
        }
        int ok = chain.outbox() ? 2 : 0;
        f.whenComplete((x, e) -> m.publish(kind, e == null ? ok : 1).record(System.nanoTime() - t0, TimeUnit.NANOSECONDS));
        return f;
    }

    // ---- events without a handler attempt ------------------------------------------------------------

    @Override
    public void duplicate(String service, Envelope envelope) {
        if (registry == null) {
            return;
        }
        counter(DUPLICATES, service, envelope.type(), null, null).increment();
        timer(HANDLER_DURATION, service, envelope.type(), "outcome", "duplicate", null, null).record(0, TimeUnit.NANOSECONDS);
    }

    @Override
    public void deadLettered(String service, Envelope envelope, String messageId, String messageType, Throwable error) {
        if (registry == null) {
            return;
        }
        // an undecodable message's type header is whatever a sender wrote: never a tag
        String type = envelope != null ? envelope.type() : "undecodable";
        counter(DEAD_LETTERS, service, type, "error.type", error == null ? "unknown" : error.getClass().getName()).increment();
    }

    @Override
    public void replied(String service, String requestType, Duration waited, Throwable error) {
        if (registry == null) {
            return;
        }
        String outcome = error == null ? "ok"
                : error instanceof RequestTimeoutException ? "timeout"
                : error instanceof RemoteHandlerException ? "remote_error"
                : error instanceof ReplyLostException ? "lost"
                : error instanceof PublishException ? "failed" : "failed";
        timer(REPLY_LATENCY, service, requestType, "outcome", outcome, null, null).record(waited);
    }

    // ---- meters ----------------------------------------------------------------------------------

    private Timer timer(String name, String service, String type, String k1, String v1, String k2, String v2) {
        return timers.computeIfAbsent(new Key(name, service, type, k1, v1, k2, v2), k -> {
            Timer.Builder b = Timer.builder(name).tag("service", service).tag("message.type", type);
            if (k1 != null) {
                b.tag(k1, v1);
            }
            if (k2 != null) {
                b.tag(k2, v2);
            }
            return b.description(description(name)).register(registry);
        });
    }

    private Counter counter(String name, String service, String type, String k1, String v1) {
        return counters.computeIfAbsent(new Key(name, service, type, k1, v1, null, null), k -> {
            Counter.Builder b = Counter.builder(name).tag("service", service).tag("message.type", type);
            if (k1 != null) {
                b.tag(k1, v1);
            }
            return b.description(description(name)).register(registry);
        });
    }

    private static String description(String name) {
        return switch (name) {
            case PUBLISH -> "From a publish, send, request or reply to the broker's confirm";
            case HANDLER_DURATION -> "One handler attempt";
            case RETRIES -> "Failed handler attempts that are tried again";
            case DEAD_LETTERS -> "Messages dead-lettered";
            case DUPLICATES -> "Deliveries skipped as already handled";
            case REPLY_LATENCY -> "From a request to its reply or failure";
            default -> name;
        };
    }
}
