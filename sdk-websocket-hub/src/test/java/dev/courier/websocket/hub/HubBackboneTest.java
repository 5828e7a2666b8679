package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.CourierException;
import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub between its clients and its backbone: no message stranded, no thread spinning. */
class HubBackboneTest {

    /**
     * A client's {@code redeliver} the backbone cannot schedule (its redeliverLater fails, the claim given
     * back as the SPI says) used to drop the delivery from the connection's unsettled list: the client
     * could no longer settle it (unknown_tag), and the message stayed unsettled on the backbone until the
     * connection closed. The delivery stays the client's to settle, and a reject with requeue brings it back.
     */
    @Test
    void aRedeliveryTheBackboneCannotScheduleStaysTheClientsToSettle() throws Exception {
        RefusingRedelivery backbone = new RefusingRedelivery(InMemoryBroker.create(100, 100).connect());
        backbone.refuseRedelivery = true;
        try (WebSocketHub hub = TestHubs.builder().backbone(backbone, Duration.ofSeconds(5)).build().start();
             RawClient c = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
            c.send(HubSecurityTest.control("subscribe", "s1",
                    "{\"sub\":\"s\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\",\"prefetch\":5}"));
            c.await(n -> RawClient.type(Frames.CONFIRM).test(n) && "s1".equals(n.path("data").path("seq").asText()), "subscribed");
            c.send(HubSecurityTest.message("event:v1.kit.pinged", "v1.kit.pinged", "p1", ""));
            JsonNode first = c.await(n -> n.has(Frames.TAG), "the first delivery");
            long tag = first.path(Frames.TAG).asLong();

            c.send(HubSecurityTest.control("redeliver", "r1", "{\"tag\":" + tag + ",\"delayMs\":10,\"headers\":{\"x\":\"1\"}}"));
            c.await(n -> RawClient.error("refused").test(n) && "r1".equals(n.path("data").path("seq").asText()),
                    "the refused redelivery is reported");
            // the claim was given back: the client may settle the delivery again (the Java client's bus dead-letters
            // it and acks; a browser may reject it), and a reject with requeue brings the message back
            c.send(HubSecurityTest.control("reject", "j1", "{\"tag\":" + tag + ",\"requeue\":true}"));
            c.await(n -> "j1".equals(n.path("data").path("seq").asText()) && !RawClient.error("unknown_tag").test(n),
                    "after a refused redelivery the delivery is still the client's to settle");
            JsonNode again = c.await(n -> n.has(Frames.TAG) && n.path(Frames.TAG).asLong() != tag,
                    "the message whose redelivery the backbone refused must come again, not stay stranded");
            assertEquals(first.path("id").asText(), again.path("id").asText());
            assertEquals("true", again.path(Frames.REDELIVERED).asText(), "it was given back (redelivered)");
            assertNotEquals(0, backbone.refused.get());
        }
    }

    /**
     * Issue 10.9 (found under load by HubFuzzTest, thread dump: a worker at 33 s of CPU in
     * HubSession.deliver -> MemoryDelivery.reject, called from HubSession.subscribe): a connection that
     * closed while its {@code subscribe} was taking the group's backlog made the hub reject each delivery
     * with requeue - straight back to the same, still open subscription, which delivered it again, forever,
     * on the worker thread. That worker's connections starved, then Java-WebSocket's selector (waiting for
     * the read buffers the worker held) stopped accepting and reading altogether. Here the connection is
     * dropped from inside the backbone's subscribe, so the order is forced.
     */
    @Test
    void aConnectionClosedWhileItsSubscriptionTakesTheBacklogNeitherSpinsNorLosesTheMessage() throws Exception {
        RefusingRedelivery backbone = new RefusingRedelivery(InMemoryBroker.create(100, 100).connect());
        try (WebSocketHub hub = TestHubs.builder().backbone(backbone, Duration.ofSeconds(5)).build().start()) {
            try (RawClient first = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
                // declare the group's queue, leave it, and put a message in it: the backlog
                first.send(HubSecurityTest.control("subscribe", "s1",
                        "{\"sub\":\"s\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\",\"prefetch\":5}"));
                first.await(n -> "s1".equals(n.path("data").path("seq").asText()), "subscribed");
                first.send(HubSecurityTest.control("unsubscribe", "u1", "{\"sub\":\"s\"}"));
                first.await(n -> "u1".equals(n.path("data").path("seq").asText()), "unsubscribed");
                first.send(HubSecurityTest.message("event:v1.kit.pinged", "v1.kit.pinged", "p1", ""));
                first.await(n -> "p1".equals(n.path("data").path("seq").asText()), "published");
            }
            Await.until(Duration.ofSeconds(30), () -> hub.connectionCount() == 0, () -> "the first client left");
            java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);
            backbone.beforeSubscribe = hub::dropConnections; // the subscriber's connection ends now, mid-subscribe
            backbone.afterSubscribe = returned::countDown;
            try (RawClient second = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
                second.send(HubSecurityTest.control("subscribe", "s2",
                        "{\"sub\":\"s\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\",\"prefetch\":5}"));
                assertTrue(returned.await(30, java.util.concurrent.TimeUnit.SECONDS), "the backbone subscribe of a connection"
                        + " that closed meanwhile must return (it spun rejecting and redelivering the backlog)\n"
                        + HubFuzzTest.threadDump());
            }
            Await.until(Duration.ofSeconds(30), () -> hub.connectionCount() == 0, () -> "the dropped client is released");
            try (RawClient third = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
                third.send(HubSecurityTest.control("subscribe", "s3",
                        "{\"sub\":\"s\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\",\"prefetch\":5}"));
                JsonNode d = third.await(n -> n.has(Frames.TAG), "the backlog message was given back to the group, not lost");
                assertEquals("v1.kit.pinged", d.path("type").asText());
            }
        }
    }

    /** An in-memory transport whose deliveries refuse redeliverLater (the claim given back, nothing settled). */
    static final class RefusingRedelivery implements Transport {
        final Transport inner;
        final AtomicInteger refused = new AtomicInteger();
        volatile boolean refuseRedelivery;
        /** Run once, on the hub's thread, before the next subscribe reaches the inner transport. */
        volatile Runnable beforeSubscribe;
        volatile Runnable afterSubscribe;

        RefusingRedelivery(Transport inner) {
            this.inner = inner;
        }

        @Override
        public void start(TransportContext context) {
            inner.start(context);
        }

        @Override
        public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
            return inner.publish(to, headers, body);
        }

        @Override
        public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
            Runnable before = beforeSubscribe;
            beforeSubscribe = null;
            if (before != null) {
                before.run();
            }
            TransportSubscription s = inner.subscribe(address, group, prefetch,
                    d -> callback.onDelivery(refuseRedelivery ? refusing(d) : d));
            Runnable after = afterSubscribe;
            afterSubscribe = null;
            if (after != null) {
                after.run();
            }
            return s;
        }

        private Delivery refusing(Delivery d) {
            return new RefusingDelivery(d);
        }

        private abstract static class DelayedDelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
        }

        private final class RefusingDelivery extends DelayedDelivery {
            private final Delivery d;

            RefusingDelivery(Delivery d) {
                this.d = d;
            }

            @Override
            public Address address() {
                return d.address();
            }

            @Override
            public String group() {
                return d.group();
            }

            @Override
            public Map<String, String> headers() {
                return d.headers();
            }

            @Override
            public byte[] body() {
                return d.body();
            }

            @Override
            public boolean redelivered() {
                return d.redelivered();
            }

            @Override
            public CompletableFuture<Void> ack() {
                return d.ack();
            }

            @Override
            public CompletableFuture<Void> reject(boolean requeue) {
                return d.reject(requeue);
            }

            @Override
            public CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay) {
                refused.incrementAndGet();
                return CompletableFuture.failedFuture(new CourierException("test backbone: redelivery refused"));
            }
        }

        @Override
        public <T> java.util.Optional<T> ability(Class<T> type) {
            return inner.ability(type);
        }

        @Override
        public boolean isConnected() {
            return inner.isConnected();
        }

        @Override
        public Set<Capability> capabilities() {
            return inner.capabilities();
        }

        @Override
        public String describe() {
            return "refusing-redelivery " + inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
