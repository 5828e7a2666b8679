package dev.courier.memory;

import dev.courier.PublishTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryBrokerTest {

    private static InMemoryTransport started(InMemoryBroker b) {
        return started(b, Duration.ofMillis(100));
    }

    private static InMemoryTransport started(InMemoryBroker b, Duration publishTimeout) {
        InMemoryTransport t = b.connect();
        t.start(new TransportContext("test", "i1", publishTimeout));
        return t;
    }

    @Test
    void aQueueIsBoundedInBytesToo() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(1000, 10, 10_000);
        InMemoryTransport t = started(b);
        b.declare(Address.command("v1.big.do"), "svc");
        byte[] body = new byte[4000];
        Map<String, String> h = Map.of("id", "x", "type", "v1.big.do");
        t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS);
        t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> t.publish(Address.command("v1.big.do"), h, body).get(1, TimeUnit.SECONDS));
        assertInstanceOf(PublishTimeoutException.class, e.getCause(), "the third 4 kB message passes 10 kB");
        assertEquals(2, b.depth(Address.command("v1.big.do"), "svc"));
        t.close();
    }

    /**
     * Browsing dead letters while they come in: the browse copied a sub-list of the live list, which threw
     * ConcurrentModificationException when a dead letter was added in between (OpsPageChromiumTest failed on
     * it: "could not list the dead letters of service 'billing': null").
     */
    @Test
    void deadLettersCanBeBrowsedWhileTheyComeIn() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(10, 20_000);
        dev.courier.spi.RawMessage m = new dev.courier.spi.RawMessage(Map.of("id", "x"), new byte[0]);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            for (int i = 0; i < 20_000; i++) {
                b.addDeadLetter("svc", m);
            }
            done.set(true);
        });
        writer.start();
        int browses = 0;
        try {
            while (!done.get()) {
                int n = b.browseDeadLetters("svc", 50).size();
                assertTrue(n <= 50, "at most max: " + n);
                browses++;
            }
        } finally {
            writer.join(60_000);
        }
        assertEquals(50, b.browseDeadLetters("svc", 50).size());
        assertTrue(browses > 0);
    }

    @Test
    void replyQueuesDieWithTheirSubscription() {
        InMemoryBroker b = InMemoryBroker.create(10, 10);
        InMemoryTransport t = started(b);
        int before = b.queueCount();
        TransportSubscription s = t.subscribe(Address.reply("svc.i1"), "i1", 1, d -> d.ack());
        assertEquals(before + 1, b.queueCount());
        s.close();
        assertEquals(before, b.queueCount(), "a reply queue is auto-deleted, so tabs and instances do not leak queues");
        t.close();
    }

    /** closeAndDelete: the group's queue is deleted with its last member only; close() keeps it (durable). */
    @Test
    void closeAndDeleteDropsTheGroupsQueueOnlyWithItsLastMember() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(10, 10);
        InMemoryTransport t = started(b);
        Address event = Address.event("v1.route.followed");
        int before = b.queueCount();
        java.util.List<String> got = new java.util.concurrent.CopyOnWriteArrayList<>();
        TransportSubscription first = t.subscribe(event, "hub", 4, d -> d.ack());
        TransportSubscription second = t.subscribe(event, "hub", 4, d -> {
            got.add(d.headers().get("id"));
            d.ack();
        });
        first.closeAndDelete();
        assertEquals(before + 1, b.queueCount(), "another member still reads the queue: it is kept");
        t.publish(event, Map.of("id", "m1", "type", "v1.route.followed"), new byte[0]).get(1, TimeUnit.SECONDS);
        assertEquals(java.util.List.of("m1"), got, "the remaining member still gets the group's messages");
        second.closeAndDelete();
        assertEquals(before, b.queueCount(), "the last member took the queue with it");
        TransportSubscription service = t.subscribe(Address.event("v1.route.kept"), "svc", 4, d -> d.ack());
        service.close();
        assertEquals(before + 1, b.queueCount(), "close() keeps a group's queue, as before");
        t.close();
    }

    /** Publishes {@code n} messages to {@code to} from inside a delivery callback (a delivering thread). */
    private static java.util.List<java.util.concurrent.CompletableFuture<Void>> publishFromACallback(
            InMemoryTransport t, Address to, int n) throws Exception {
        java.util.List<java.util.concurrent.CompletableFuture<Void>> fs = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        t.subscribe(Address.command("v1.trigger.do"), "svc", 1, d -> {
            for (int i = 0; i < n; i++) {
                fs.add(t.publish(to, Map.of("id", "m" + i, "type", to.name()), new byte[] {(byte) i}));
            }
            d.ack();
            done.countDown();
        });
        t.publish(Address.command("v1.trigger.do"), Map.of("id", "t", "type", "v1.trigger.do"), new byte[1]).get(1, TimeUnit.SECONDS);
        assertTrue(done.await(5, TimeUnit.SECONDS), "the callback should return without waiting for room");
        return fs;
    }

    @Test
    void publishesThatWaitForRoomAreTakenInTheOrderTheyWereMade() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(3, 10);
        InMemoryTransport t = started(b, Duration.ofSeconds(10));
        Address to = Address.command("v1.full.do");
        b.declare(to, "svc");
        java.util.List<java.util.concurrent.CompletableFuture<Void>> fs = publishFromACallback(t, to, 10);
        assertEquals(3, b.depth(to, "svc"), "three fit, seven wait");
        assertEquals(3, fs.stream().filter(java.util.concurrent.CompletableFuture::isDone).count());
        java.util.List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        t.subscribe(to, "svc", 1, d -> {
            order.add(d.headers().get("id"));
            d.ack();
        });
        java.util.concurrent.CompletableFuture.allOf(fs.toArray(new java.util.concurrent.CompletableFuture[0])).get(5, TimeUnit.SECONDS);
        dev.courier.kit.Await.until(Duration.ofSeconds(5), () -> order.size() == 10, () -> "got " + order);
        assertEquals(java.util.stream.IntStream.range(0, 10).mapToObj(i -> "m" + i).toList(), order);
        t.close();
    }

    @Test
    void aPublishWaitingOnADeliveringThreadFailsAfterThePublishTimeout() throws Exception {
        InMemoryBroker b = InMemoryBroker.create(1, 10);
        InMemoryTransport t = started(b, Duration.ofMillis(200));
        Address to = Address.command("v1.full.do");
        b.declare(to, "svc");
        java.util.List<java.util.concurrent.CompletableFuture<Void>> fs = publishFromACallback(t, to, 3);
        fs.get(0).get(1, TimeUnit.SECONDS);
        for (java.util.concurrent.CompletableFuture<Void> f : fs.subList(1, 3)) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertInstanceOf(PublishTimeoutException.class, e.getCause(), "no room within the publish timeout");
        }
        assertEquals(1, b.depth(to, "svc"), "a publish that timed out is not taken later");
        t.close();
    }
}
