package dev.courier.mqtt;

import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults against the real Mosquitto: a broker restart (SIGTERM) in the middle of a stream, a consumer
 * that is away while messages are published, and redelivery after a reconnect while a handler still
 * holds the message. Restart cases need the local Mosquitto (see {@link MqttBroker#restartable()}) and
 * always start it again, whatever happens.
 */
class MqttFaultTest {
    private static final MqttTestSupport SUPPORT = new MqttTestSupport(MqttConfig.Version.V5);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private final List<MessageBus> buses = new CopyOnWriteArrayList<>();
    private String ns;

    @BeforeEach
    void setUp() {
        MqttBroker.uri();
        ns = "cf" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "x" + SEQ.incrementAndGet();
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (MqttBroker.restartable()) {
                MqttBroker.start();
            }
        } finally {
            for (MessageBus b : buses) {
                try {
                    b.close();
                } catch (RuntimeException e) {
                    // keep cleaning
                }
            }
            SUPPORT.deleteNamespace(ns);
        }
    }

    @AfterAll
    static void brokerRunning() throws Exception {
        if (MqttBroker.restartable()) {
            MqttBroker.start();
        }
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        bus.start();
        return bus;
    }

    private MessageBus.Builder bus(String service) {
        return MessageBus.builder(service).transport(SUPPORT.newTransport(ns)).publishTimeout(Duration.ofSeconds(60))
                .closeTimeout(Duration.ofSeconds(10)).claimLease(Duration.ofSeconds(4)).produces(Pinged.class);
    }

    @Test
    void brokerRestartMidStreamHandlesEveryAcknowledgedPublishExactlyOnce() throws Exception {
        MqttBroker.requireRestartable();
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        start(bus("sink").instanceId("s1").concurrency(4).onEvent(Pinged.class,
                (e, ctx) -> handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        MessageBus pub = start(bus("pub").instanceId("p1"));
        int total = 10_000;
        List<CompletableFuture<Void>> confirms = new ArrayList<>(total);
        try {
            for (int i = 0; i < total; i++) {
                confirms.add(pub.publish(new Pinged(i, "stream")));
                if (i == total / 3) {
                    Await.until(Duration.ofSeconds(30), () -> handled.size() > 100, () -> "consuming should have started");
                    MqttBroker.stop();
                    MqttBroker.start();
                }
            }
        } finally {
            MqttBroker.start();
        }
        List<Integer> acked = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            try {
                confirms.get(i).get(90, TimeUnit.SECONDS);
                acked.add(i);
            } catch (Exception e) {
                // not acknowledged: may or may not arrive; not counted
            }
        }
        assertEquals(total, acked.size(), "every publish should be confirmed within the publish timeout across a restart");
        Await.until(Duration.ofSeconds(90), () -> acked.stream().allMatch(handled::containsKey),
                () -> "every acknowledged publish must be handled; missing "
                        + acked.stream().filter(n -> !handled.containsKey(n)).count());
        Await.stays(Duration.ofSeconds(2), () -> handled.values().stream().allMatch(c -> c.get() == 1),
                () -> "handled more than once: " + handled.entrySet().stream().filter(e -> e.getValue().get() > 1)
                        .map(Map.Entry::getKey).limit(20).toList());
        // publishing and consuming go on without restarting the buses
        for (int i = total; i < total + 100; i++) {
            pub.publish(new Pinged(i, "after")).get(30, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(30), () -> handled.size() == total + 100,
                () -> "messages published after the restart should be handled, got " + (handled.size() - total));
    }

    @Test
    void consumerAwayGetsWhatWasPublishedMeanwhile() throws Exception {
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageBus.Builder consumer = bus("late").instanceId("one").onEvent(Pinged.class,
                (e, ctx) -> handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet());
        MessageBus first = start(consumer);
        first.close();
        MessageBus pub = start(bus("pub"));
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            fs.add(pub.publish(new Pinged(i, "meanwhile")));
        }
        CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
        assertTrue(handled.isEmpty(), "nothing is handled while the consumer is away");
        start(bus("late").instanceId("one").onEvent(Pinged.class,
                (e, ctx) -> handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        Await.until(Duration.ofSeconds(30), () -> handled.size() == 500,
                () -> "the returning instance should get all 500 messages published while it was away, got " + handled.size());
        Await.stays(Duration.ofMillis(500), () -> handled.values().stream().allMatch(c -> c.get() == 1),
                () -> "a message was handled twice");
    }

    @Test
    void heldMessageIsRedeliveredAfterReconnectAndTheStreamGoesOn() throws Exception {
        MqttBroker.requireRestartable();
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        MessageBus holder = start(bus("holder").instanceId("h1").concurrency(4).onEvent(Pinged.class, (e, ctx) -> {
            if (e.n() == 0 && entered.getCount() > 0) {
                entered.countDown();
                release.await(60, TimeUnit.SECONDS);
            }
            handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet();
        }));
        MessageBus pub = start(bus("pub").instanceId("p2"));
        pub.publish(new Pinged(0, "held")).get(30, TimeUnit.SECONDS);
        assertTrue(entered.await(30, TimeUnit.SECONDS), "the handler should receive message 0");
        try {
            MqttBroker.stop();
        } finally {
            MqttBroker.start();
        }
        Await.until(Duration.ofSeconds(30), () -> holder.health().isHealthy(), () -> "the bus should reconnect: " + holder.health());
        for (int i = 1; i <= 50; i++) {
            pub.publish(new Pinged(i, "after")).get(30, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(30), () -> handled.size() == 50,
                () -> "messages behind the held one must keep flowing after the reconnect, got " + handled.size());
        release.countDown();
        Await.until(Duration.ofSeconds(30), () -> handled.containsKey(0), () -> "message 0 should be handled");
        Await.stays(Duration.ofSeconds(3), () -> handled.get(0).get() == 1,
                () -> "the redelivered copy of message 0 must be suppressed, not handled again");
    }
}
