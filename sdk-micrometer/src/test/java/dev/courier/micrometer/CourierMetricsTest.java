package dev.courier.micrometer;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.RequestTimeoutException;
import dev.courier.RetryPolicy;
import dev.courier.kit.Await;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The meters of {@link CourierMetrics} on a SimpleMeterRegistry. The outcome cases run on every transport
 * (a subclass per transport says which); the gauge and binder cases on memory only ({@link MemoryMetricsTest}).
 */
abstract class CourierMetricsTest {

    @MessageName("v1.metric.happened")
    record Happened(int n) implements Event {
    }

    @MessageName("v1.metric.ask")
    record Ask(int n) implements Command {
    }

    @MessageName("v1.metric.orphan")
    record Orphan(int n) implements Command {
    }

    record Answer(int n) {
    }

    static final Duration PATIENCE = Duration.ofSeconds(20);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final CourierMetrics metrics = CourierMetrics.of(registry);
    private final List<MessageBus> buses = new ArrayList<>();
    private TestTransports.TestTransport transport;

    /** This test's transport, made fresh for each test. */
    abstract TestTransports.TestTransport transport();

    @org.junit.jupiter.api.BeforeEach
    void open() {
        transport = transport();
    }

    MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    MessageBus.Builder bus(String service) {
        return transport.on(MessageBus.builder(service)).interceptor(metrics)
                .produces(Happened.class, Ask.class, Orphan.class)
                .retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(1))
                        .redeliveryDelays(Duration.ofMillis(20)).build());
    }

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
        if (transport != null) {
            transport.close();
        }
    }

    private Timer timer(String name, String... tags) {
        return registry.find(name).tags(tags).timer();
    }

    private double count(String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        return c == null ? 0 : c.count();
    }

    private long timerCount(String name, String... tags) {
        Timer t = timer(name, tags);
        return t == null ? 0 : t.count();
    }

    @Test
    void handlerOutcomesRetriesDeadLettersAndDuplicatesAreCountedPerServiceAndType() {
        MessageBus svc = start(bus("metered").onEvent(Happened.class, (e, ctx) -> {
            if (e.n() < 0) {
                throw new IllegalStateException("always fails");
            }
        }));
        MessageBus pub = start(bus("pub"));
        pub.publish(new Happened(1), Map.of("id", "business-key-1")).join();
        pub.publish(new Happened(-1)).join();
        Await.until(PATIENCE, () -> count(CourierMetrics.DEAD_LETTERS, "service", "metered") == 1
                && timerCount(CourierMetrics.HANDLER_DURATION, "service", "metered", "outcome", "success") == 1,
                () -> "meters: " + dump());
        pub.publish(new Happened(1), Map.of("id", "business-key-1")).join();
        Await.until(PATIENCE, () -> count(CourierMetrics.DUPLICATES, "service", "metered") == 1, () -> "meters: " + dump());

        String[] metered = {"service", "metered", "message.type", "v1.metric.happened"};
        assertEquals(1, timerCount(CourierMetrics.HANDLER_DURATION, tags(metered, "outcome", "success")));
        assertEquals(3, timerCount(CourierMetrics.HANDLER_DURATION, tags(metered, "outcome", "retry")),
                "attempt 1 (immediate retry), 2 (redelivery), 3 (immediate retry): " + dump());
        assertEquals(1, timerCount(CourierMetrics.HANDLER_DURATION, tags(metered, "outcome", "dead_letter")));
        assertEquals(1, timerCount(CourierMetrics.HANDLER_DURATION, tags(metered, "outcome", "duplicate")));
        assertEquals(2, count(CourierMetrics.RETRIES, tags(metered, "stage", "immediate")));
        assertEquals(1, count(CourierMetrics.RETRIES, tags(metered, "stage", "delayed")));
        assertEquals(1, count(CourierMetrics.DEAD_LETTERS, tags(metered, "error.type", IllegalStateException.class.getName())));
        assertEquals(3, timerCount(CourierMetrics.PUBLISH, "service", "pub", "message.type", "v1.metric.happened",
                "message.kind", "event", "outcome", "ok"));
        assertNoIdsInTags(svc.instanceId(), pub.instanceId(), "business-key-1");
    }

    @Test
    void replyLatencyAndFailedPublishesAreRecordedWithTheirOutcome() {
        start(bus("answerer").onCommand(Ask.class, (a, ctx) -> {
            if (a.n() > 0) {
                ctx.reply(new Answer(a.n()));
            }
        }));
        MessageBus asker = start(bus("asker"));
        asker.request(new Ask(1), Answer.class, PATIENCE).join();
        CompletionException timeout = assertThrows(CompletionException.class,
                () -> asker.request(new Ask(0), Answer.class, Duration.ofMillis(200)).join());
        assertInstanceOf(RequestTimeoutException.class, timeout.getCause());
        Await.until(PATIENCE, () -> timerCount(CourierMetrics.REPLY_LATENCY, "outcome", "timeout") == 1, () -> dump());
        Timer ok = timer(CourierMetrics.REPLY_LATENCY, "service", "asker", "message.type", "v1.metric.ask", "outcome", "ok");
        assertNotNull(ok, dump());
        assertEquals(1, ok.count());
        assertTrue(ok.totalTime(TimeUnit.NANOSECONDS) > 0);
        Await.until(PATIENCE, () -> timerCount(CourierMetrics.PUBLISH, "service", "answerer", "message.kind", "reply",
                "outcome", "ok") == 1, () -> "the reply's publish: " + dump());

        // a command nobody handles fails its send (memory detects it)
        assertThrows(CompletionException.class, () -> asker.send(new Orphan(1)).join());
        Await.until(PATIENCE, () -> timerCount(CourierMetrics.PUBLISH, "service", "asker", "message.type", "v1.metric.orphan",
                "outcome", "failed") == 1, () -> dump());
        assertNoIdsInTags(asker.instanceId());
    }

    @Test
    void monitoredBusesReportTheirConnectionAndSubscriptions() {
        MessageBus svc = metrics.monitor(start(bus("metered").onEvent(Happened.class, (e, ctx) -> { })));
        Gauge connected = registry.find(CourierMetrics.TRANSPORT_CONNECTED).tags("service", "metered").gauge();
        Gauge live = registry.find(CourierMetrics.SUBSCRIPTIONS_LIVE).tags("service", "metered").gauge();
        assertNotNull(connected, dump());
        assertNotNull(live, dump());
        assertEquals(1.0, connected.value(), "a started bus is connected");
        assertEquals(1.0, live.value());
        Gauge inFlight = registry.find(CourierMetrics.PUBLISH_IN_FLIGHT).tags("service", "metered").gauge();
        Gauge window = registry.find(CourierMetrics.PUBLISH_WINDOW).tags("service", "metered").gauge();
        if (transport.system().equals("rabbitmq") || transport.system().equals("websocket")
                || transport.system().equals("mqtt")) {
            double size = transport.system().equals("websocket") ? 50_000.0 : 1000.0;
            assertNotNull(inFlight, "AMQP, WebSocket and MQTT have a confirm window: " + dump());
            assertEquals(size, window.value(), "the default confirmWindow / maxInFlight");
            assertTrue(inFlight.value() >= 0 && inFlight.value() <= size, "in flight: " + inFlight.value());
        } else {
            assertEquals(null, inFlight, "no window gauges where the transport has none: " + dump());
        }
        svc.close();
        assertEquals(0.0, connected.value(), "a closed bus is not");
        assertEquals(0.0, live.value());
    }

    private static String[] tags(String[] base, String k, String v) {
        String[] all = new String[base.length + 2];
        System.arraycopy(base, 0, all, 0, base.length);
        all[base.length] = k;
        all[base.length + 1] = v;
        return all;
    }

    private void assertNoIdsInTags(String... ids) {
        for (Meter m : registry.getMeters()) {
            for (Tag t : m.getId().getTags()) {
                assertFalse(t.getValue().matches(".*[0-9a-f]{8}-[0-9a-f]{4}-.*"), "an id in a tag: " + m.getId());
                for (String id : ids) {
                    assertFalse(t.getValue().contains(id), "an id in a tag: " + m.getId());
                }
            }
        }
    }

    String dump() {
        StringBuilder sb = new StringBuilder();
        for (Meter m : registry.getMeters()) {
            sb.append("\n  ").append(m.getId().getName()).append(m.getId().getTags());
            m.measure().forEach(ms -> sb.append(' ').append(ms.getStatistic()).append('=').append(ms.getValue()));
        }
        return sb.toString();
    }
}
