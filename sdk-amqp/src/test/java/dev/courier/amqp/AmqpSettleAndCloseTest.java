package dev.courier.amqp;

import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Settling once and closing once, on the AMQP transport itself (the conformance kit's settle and
 * subscription cases hold every transport to the same rules): concurrent settles take effect once,
 * a redeliverLater in progress claims the delivery, and closing a subscription on several threads
 * while its transport closes returns promptly and gives unsettled messages back.
 */
class AmqpSettleAndCloseTest extends AmqpTestSupport {
    private static final Address PINGED = Address.event("v1.kit.pinged");

    private AmqpTransport started(String instance) {
        AmqpTransport t = transport();
        t.start(new TransportContext("settle", instance, Duration.ofSeconds(10)));
        return t;
    }

    private static String publish(AmqpTransport t) throws Exception {
        String id = UUID.randomUUID().toString();
        Map<String, String> h = new HashMap<>(Map.of(Headers.ID, id, Headers.TYPE, "v1.kit.pinged"));
        t.publish(PINGED, h, "{}".getBytes()).get(10, TimeUnit.SECONDS);
        return id;
    }

    /**
     * TransportSubscription.closeAndDelete (issue 11.9, the hub's personal routes): queue.delete if-unused -
     * kept while another member of the group consumes it, deleted with the last; close() keeps it.
     */
    @Test
    void closeAndDeleteDeletesTheGroupsQueueOnlyWithItsLastMember() throws Exception {
        AmqpTransport a = started("a");
        AmqpTransport b = started("b");
        String queue = a.names().queueOf(PINGED, "route");
        List<String> got = new CopyOnWriteArrayList<>();
        TransportSubscription first = a.subscribe(PINGED, "route", 4, Delivery::ack);
        TransportSubscription second = b.subscribe(PINGED, "route", 4, d -> {
            got.add(d.headers().get(Headers.ID));
            d.ack();
        });
        try (com.rabbitmq.client.Connection raw = RabbitBroker.connect()) {
            first.closeAndDelete();
            org.junit.jupiter.api.Assertions.assertTrue(exists(raw, queue), "another member still consumes " + queue);
            String id = publish(a);
            Await.until(Duration.ofSeconds(10), () -> got.contains(id), () -> "the remaining member gets the message");
            second.closeAndDelete();
            assertFalse(exists(raw, queue), "the last member took " + queue + " with it");
            TransportSubscription service = b.subscribe(PINGED, "svc", 4, Delivery::ack);
            service.close();
            org.junit.jupiter.api.Assertions.assertTrue(exists(raw, a.names().queueOf(PINGED, "svc")),
                    "close() keeps a group's durable queue");
        }
    }

    private static boolean exists(com.rabbitmq.client.Connection raw, String queue) throws Exception {
        try (com.rabbitmq.client.Channel ch = raw.createChannel()) {
            ch.queueDeclarePassive(queue);
            return true;
        } catch (java.io.IOException e) {
            return false;
        } catch (com.rabbitmq.client.AlreadyClosedException e) {
            return false;
        }
    }

    @Test
    void concurrentRedeliverLatersBringTheMessageBackOnce() throws Exception {
        racingSettlesTakeEffectOnce(d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(200)),
                d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(200)));
    }

    @Test
    void aRejectDuringARedeliverLaterDoesNothing() throws Exception {
        racingSettlesTakeEffectOnce(d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(200)), d -> d.reject(true));
    }

    /** Both settles race on one delivery; the message must come back exactly once. */
    private void racingSettlesTakeEffectOnce(Function<Delivery, CompletableFuture<Void>> a,
                                             Function<Delivery, CompletableFuture<Void>> b) throws Exception {
        AmqpTransport t = started("i1");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        t.subscribe(PINGED, "settle", 8, got::add);
        for (int round = 0; round < 10; round++) {
            got.clear();
            String id = publish(t);
            Await.until(Duration.ofSeconds(10), () -> got.size() == 1, () -> "first delivery");
            Delivery d = got.get(0);
            CountDownLatch gate = new CountDownLatch(1);
            List<CompletableFuture<CompletableFuture<Void>>> calls = new ArrayList<>();
            for (Function<Delivery, CompletableFuture<Void>> settle : List.of(a, b)) {
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return settle.apply(d);
                }));
            }
            gate.countDown();
            for (CompletableFuture<CompletableFuture<Void>> c : calls) {
                c.get(10, TimeUnit.SECONDS).get(10, TimeUnit.SECONDS);
            }
            Await.until(Duration.ofSeconds(10), () -> got.size() >= 2, () -> "the message should come back");
            Await.stays(Duration.ofMillis(700), () -> got.size() == 2, () -> "round: the message came back "
                    + (got.size() - 1) + " times; two racing settles must take effect once");
            assertEquals(id, got.get(1).headers().get(Headers.ID));
            got.get(1).ack().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void closingASubscriptionOnTwoThreadsWhileItsTransportClosesIsBounded() throws Exception {
        AmqpTransport publisher = started("pub");
        Set<String> left = ConcurrentHashMap.newKeySet();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < 12; round++) {
                AmqpTransport t = started("closer" + round);
                List<Delivery> got = new CopyOnWriteArrayList<>();
                TransportSubscription s = t.subscribe(PINGED, "closing", 16, got::add);
                String id = publish(publisher);
                Await.until(Duration.ofSeconds(10), () -> got.stream().anyMatch(d -> id.equals(d.headers().get(Headers.ID))),
                        () -> "delivered");
                left.add(id); // never settled: it must come again to the next member
                CountDownLatch gate = new CountDownLatch(1);
                List<CompletableFuture<Void>> closes = new ArrayList<>();
                for (Runnable close : List.<Runnable>of(s::close, s::close, t::close)) {
                    closes.add(CompletableFuture.runAsync(() -> {
                        try {
                            gate.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        close.run();
                    }, threads));
                }
                long t0 = System.nanoTime();
                gate.countDown();
                try {
                    CompletableFuture.allOf(closes.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("round " + round + ": closing a subscription on two threads while its transport closes took"
                            + " over 10 s");
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(s.isActive());
                System.out.println("round " + round + ": closed in " + ms + " ms");
            }
        } finally {
            threads.shutdownNow();
        }
        AmqpTransport next = started("next");
        Set<String> again = ConcurrentHashMap.newKeySet();
        next.subscribe(PINGED, "closing", 16, d -> {
            again.add(d.headers().get(Headers.ID));
            d.ack();
        });
        Await.until(Duration.ofSeconds(20), () -> again.containsAll(left), () -> "the unsettled messages of the closed"
                + " members reach the next one; missing " + left.stream().filter(id -> !again.contains(id)).toList());
    }
}
