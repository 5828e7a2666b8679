package dev.courier.micrometer;

import dev.courier.MessageBus;
import dev.courier.kit.Await;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CourierMetricsTest} on memory, plus the gauge and the binder. */
class MemoryMetricsTest extends CourierMetricsTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.memory();
    }

    @Test
    void theActiveGaugeFollowsRunningHandlers() throws Exception {
        CountDownLatch entered = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        start(bus("busy").concurrency(2).onEvent(Happened.class, (e, ctx) -> {
            entered.countDown();
            release.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        }));
        MessageBus pub = start(bus("pub"));
        pub.publish(new Happened(1)).join();
        pub.publish(new Happened(2)).join();
        assertTrue(entered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
        Gauge g = registry.find(CourierMetrics.HANDLERS_ACTIVE).tags("service", "busy", "message.type", "v1.metric.happened").gauge();
        assertNotNull(g, dump());
        assertEquals(2.0, g.value());
        release.countDown();
        Await.until(PATIENCE, () -> g.value() == 0.0, () -> "the gauge returns to 0, is " + g.value());
    }

    @Test
    void anUnboundBinderRecordsNothingAndBindsOnce() {
        CourierMetrics unbound = CourierMetrics.create();
        MessageBus b = start(transport().on(MessageBus.builder("quiet")).interceptor(unbound)
                .produces(Happened.class));
        b.publish(new Happened(1)).join();
        SimpleMeterRegistry other = new SimpleMeterRegistry();
        unbound.bindTo(other);
        assertTrue(other.getMeters().isEmpty(), "nothing before binding");
        b.publish(new Happened(2)).join();
        Await.until(PATIENCE, () -> !other.getMeters().isEmpty(), () -> "recorded after binding");
        assertThrows(IllegalStateException.class, () -> unbound.bindTo(registry));
    }

}
