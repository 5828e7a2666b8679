package dev.courier.amqp;

import dev.courier.MessageBus;
import dev.courier.ReplyLostException;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Ping;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.kit.KitMessages.Pong;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Faults on the real broker: a restart (rabbitmqctl stop_app / start_app) and a forced close of every
 * connection (close_all_connections) in the middle of a stream, a consumer that dies mid-handler, a
 * first connect while the broker is down, and requests waiting when the connection drops. Every test
 * that stops the broker starts it again, whatever happens. The stream is 10,000 messages
 * ({@code -Dcourier.amqp.faultStream=N}, or the amqp-soak profile, for longer runs).
 */
class AmqpFaultTest extends AmqpTestSupport {
    private static final int STREAM = Integer.getInteger("courier.amqp.faultStream", 10_000);
    private static final int RATE = Integer.getInteger("courier.amqp.faultRate", 1_500);

    @BeforeEach
    void needsAControllableBroker() {
        Ci.require(RabbitBroker.controllable(), "fault tests need the local broker and rabbitmqctl (as root, with"
                + " RABBITMQ_NODENAME naming the broker's node when it is not the default);"
                + " the broker at " + RabbitBroker.uri().replaceFirst("//[^@/]*@", "//") + " cannot be stopped from here");
    }

    @AfterAll
    static void brokerIsRunningAgain() {
        if (RabbitBroker.controllable()) {
            RabbitBroker.ensureRunning();
        }
    }

    @Test
    void aBrokerRestartMidStreamLosesNothingAndEverythingResumes() throws Exception {
        streamThrough("restart", () -> {
            try {
                assertTrue(RabbitBroker.rabbitmqctl(120, "stop_app"), "rabbitmqctl stop_app failed");
            } finally {
                RabbitBroker.ensureRunning();
            }
        });
    }

    @Test
    void closingAllConnectionsMidStreamLosesNothingAndEverythingResumes() throws Exception {
        streamThrough("close", () -> assertTrue(RabbitBroker.rabbitmqctl(60, "close_all_connections", "courier fault test"),
                "rabbitmqctl close_all_connections failed"));
    }

    /**
     * Publishes STREAM events (retrying any whose future failed, as an application would), breaks the
     * broker a quarter of the way in, and checks: every confirmed message is handled, no message id
     * runs the handler twice (dedup absorbs the redeliveries), and both buses are healthy again.
     */
    private void streamThrough(String service, Runnable fault) throws Exception {
        Map<String, AtomicInteger> byId = new ConcurrentHashMap<>();
        Set<String> handledKeys = ConcurrentHashMap.newKeySet();
        MessageBus sink = start(bus(service, transport()).concurrency(8).onEvent(Pinged.class, (e, ctx) -> {
            byId.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger()).incrementAndGet();
            handledKeys.add(e.text());
        }));
        MessageBus pub = start(bus("pub", transport()).publishTimeout(Duration.ofSeconds(30)));
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        AtomicInteger retries = new AtomicInteger();
        Semaphore inFlight = new Semaphore(500);
        AtomicBoolean stop = new AtomicBoolean();
        int[] handledAtFault = new int[1];
        long start = System.nanoTime();
        Thread producer = new Thread(() -> {
            for (int i = 0; i < STREAM && !stop.get(); i++) {
                // paced at RATE per second so the fault lands in the middle of the stream
                long due = start + i * (1_000_000_000L / RATE);
                long now = System.nanoTime();
                if (due > now) {
                    java.util.concurrent.locks.LockSupport.parkNanos(due - now);
                }
                publishUntilConfirmed(pub, i, confirmed, retries, inFlight, stop);
            }
        }, "fault-producer");
        producer.start();
        try {
            Await.until(Duration.ofSeconds(60), () -> confirmed.size() >= STREAM / 4, () -> "stream did not start: "
                    + confirmed.size());
            handledAtFault[0] = handledKeys.size();
            fault.run();
            Await.until(Duration.ofSeconds(150), () -> confirmed.size() == STREAM, () -> "publishing did not resume: "
                    + confirmed.size() + " of " + STREAM + " confirmed, " + retries + " retries");
            Await.until(Duration.ofSeconds(90), () -> handledKeys.containsAll(confirmed), () -> "consuming did not resume:"
                    + " handled " + handledKeys.size() + " of " + confirmed.size() + " confirmed");
        } finally {
            stop.set(true);
            producer.join(30_000);
        }
        byId.forEach((id, n) -> assertEquals(1, n.get(), "message " + id + " ran the handler " + n + " times"));
        Await.until(Duration.ofSeconds(30), () -> sink.health().isHealthy() && pub.health().isHealthy(),
                () -> "buses should be healthy again: " + sink.health() + " / " + pub.health());
        System.out.println(service + ": " + STREAM + " confirmed, " + retries + " publishes retried, "
                + byId.size() + " ids handled once each, " + (handledAtFault[0]) + " handled when the fault hit");
    }

    private static void publishUntilConfirmed(MessageBus pub, int n, Set<String> confirmed, AtomicInteger retries,
                                              Semaphore inFlight, AtomicBoolean stop) {
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        String key = "m" + n;
        pub.publish(new Pinged(n, key)).whenComplete((x, e) -> {
            inFlight.release();
            if (e == null) {
                confirmed.add(key);
            } else if (!stop.get()) {
                retries.incrementAndGet();
                CompletableFuture.runAsync(() -> publishUntilConfirmed(pub, n, confirmed, retries, inFlight, stop));
            }
        });
    }

    @Test
    void aConsumerKilledMidHandlerLeavesItsMessagesToTheOtherInstance() {
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger startedOnA = new AtomicInteger();
        Set<Integer> doneOnB = ConcurrentHashMap.newKeySet();
        AmqpTransport a = transport();
        start(bus("work", a).instanceId("a").concurrency(4).deduplicationStore(InMemoryDeduplicationStore.ofDefaults())
                .onEvent(Pinged.class, (e, ctx) -> {
                    startedOnA.incrementAndGet();
                    never.await(); // stuck until killed
                }));
        try {
            MessageBus pub = start(bus("pub", transport()));
            for (int i = 0; i < 4; i++) {
                pub.publish(new Pinged(i, "early")).join();
            }
            Await.until(Duration.ofSeconds(20), () -> startedOnA.get() == 4, () -> "A should hold 4 messages in its handler");
            start(bus("work", transport()).instanceId("b").deduplicationStore(InMemoryDeduplicationStore.ofDefaults())
                    .onEvent(Pinged.class, (e, ctx) -> doneOnB.add(e.n())));
            for (int i = 4; i < 20; i++) {
                pub.publish(new Pinged(i, "late")).join();
            }
            a.kill(); // the process dies: no ack, no close
            Await.until(Duration.ofSeconds(30), () -> doneOnB.size() == 20, () -> "B should handle all 20, including"
                    + " A's unacked ones; got " + doneOnB);
        } finally {
            never.countDown();
        }
    }

    @Test
    void requestsWaitingWhenTheConnectionDropsFailAtOnce() throws Exception {
        AtomicBoolean asked = new AtomicBoolean();
        start(bus("silent", transport()).onCommand(Ping.class, (p, ctx) -> asked.set(true))); // never replies
        MessageBus client = start(bus("client", transport()));
        CompletableFuture<Pong> waiting = client.request(new Ping(1), Pong.class, Duration.ofSeconds(120));
        Await.until(Duration.ofSeconds(10), asked::get, () -> "the request should reach the silent handler");
        assertTrue(RabbitBroker.rabbitmqctl(60, "close_all_connections", "courier fault test"));
        long t0 = System.nanoTime();
        try {
            waiting.get(20, TimeUnit.SECONDS);
            fail("the request must fail when its reply queue goes away");
        } catch (ExecutionException e) {
            assertInstanceOf(ReplyLostException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("reply queue"), e.getCause().getMessage());
        }
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "failed at once, not at its timeout");
        Await.until(Duration.ofSeconds(30), () -> client.health().isHealthy(), () -> "client " + client.health());
        CompletableFuture<Pong> after = client.request(new Ping(2), Pong.class, Duration.ofMillis(500));
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> after.get(20, TimeUnit.SECONDS));
        assertInstanceOf(dev.courier.RequestTimeoutException.class, e.getCause(), "requests work again (and time out"
                + " normally against a silent handler)");
    }

    @Test
    void settlingADeliveryFromBeforeAReconnectIsRefusedAndTheMessageComesAgain() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("stale", "i1", Duration.ofSeconds(10)));
        java.util.List<Delivery> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        t.subscribe(Address.command("v1.kit.ping"), "stale", 4, got::add);
        t.publish(Address.command("v1.kit.ping"), Map.of(Headers.ID, "stale-1", Headers.TYPE, "v1.kit.ping"), new byte[0])
                .get(10, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(10), () -> got.size() == 1, () -> "first delivery");
        assertTrue(RabbitBroker.rabbitmqctl(60, "close_all_connections", "courier fault test"));
        Await.until(Duration.ofSeconds(30), () -> got.size() == 2, () -> "the unacked message should come again after"
                + " the reconnect; got " + got.size());
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> got.get(0).ack().get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("channel closed"), e.getCause().getMessage());
        assertTrue(got.get(1).redelivered(), "the broker flags the second delivery as redelivered");
        got.get(1).ack().get(5, TimeUnit.SECONDS);
        Await.stays(Duration.ofMillis(500), () -> got.size() == 2, () -> "acked on the new channel: no third delivery");
    }

    @Test
    void startWaitsForABrokerThatIsDownAtFirstAndPublishesWaitThenFailWhileItIsAway() throws Exception {
        CompletableFuture<MessageBus> started = new CompletableFuture<>();
        MessageBus running = start(bus("running", transport()).publishTimeout(Duration.ofSeconds(2)));
        try {
            assertTrue(RabbitBroker.rabbitmqctl(120, "stop_app"), "rabbitmqctl stop_app failed");
            Await.until(Duration.ofSeconds(20), () -> !running.health().isHealthy(), () -> "health should say so");
            long t0 = System.nanoTime();
            ExecutionException away = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> running.publish(new Pinged(1, "while away")).get(20, TimeUnit.SECONDS));
            assertInstanceOf(dev.courier.PublishTimeoutException.class, away.getCause(), away.toString());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1_500), "it waited for the broker first");
            Thread t = new Thread(() -> {
                try {
                    started.complete(start(bus("late", track(AmqpTransport.of(transportBuilder().startTimeout(Duration.ofSeconds(90))
                            .build()))).onEvent(Pinged.class, (e, ctx) -> { })));
                } catch (RuntimeException e) {
                    started.completeExceptionally(e);
                }
            }, "late-starter");
            t.start();
        } finally {
            RabbitBroker.ensureRunning();
        }
        MessageBus b = started.get(120, TimeUnit.SECONDS);
        assertTrue(b.health().isHealthy(), b.health().toString());
        Await.until(Duration.ofSeconds(30), () -> running.health().isHealthy(), () -> "running bus reconnects");
        running.publish(new Pinged(2, "back")).get(20, TimeUnit.SECONDS);
    }
}
