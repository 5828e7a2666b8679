package dev.courier.websocket;

import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import dev.courier.websocket.hub.TestHubs;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.protocol.Frames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's side of the {@code batch} feature (issue 17): it offers it at the handshake, completes each
 * publish on its own seq in a batched confirm, and acks in batches only when the hub's welcome says so.
 */
class WebSocketClientBatchingTest {
    private static final byte[] BODY = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        open.add(c);
        return c;
    }

    private static TransportContext context() {
        return new TransportContext("batching", "b1", Duration.ofSeconds(10)).withStartTimeout(Duration.ofSeconds(10));
    }

    @Test
    void eachPublishCompletesOnItsOwnSeqInABatchedConfirmAndNotBefore() throws Exception {
        FakeHub hub = closing(new FakeHub().begin());
        hub.features = List.of(Frames.FEATURE_BATCH);
        WebSocketTransport t = closing(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).build()));
        t.start(context());
        assertEquals(Frames.FEATURE_BATCH, hub.offered, "the client offers the feature at the handshake");
        Address to = Address.event("v1.kit.pinged");
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fs.add(t.publish(to, WebSocketClientTest.headers(UUID.randomUUID().toString()), BODY));
        }
        Await.until(Duration.ofSeconds(10), () -> hub.frames.size() == 3, () -> "three publishes: " + hub.frames);
        List<String> seqs = hub.frames.stream().map(f -> f.attr(Frames.SEQ)).toList();
        hub.sendToAll(Frames.confirms("/fake-hub", List.of(seqs.get(0), seqs.get(2))));
        fs.get(0).get(10, TimeUnit.SECONDS);
        fs.get(2).get(10, TimeUnit.SECONDS);
        assertFalse(fs.get(1).isDone(), "a publish whose seq the batch does not name is not confirmed");
        hub.sendToAll(Frames.confirms("/fake-hub", List.of(seqs.get(1))));
        fs.get(1).get(10, TimeUnit.SECONDS);
    }

    @Test
    void againstAHubThatDoesNotSpeakBatchEveryAckIsItsOwnFrame() throws Exception {
        {
            // a hub that does not offer the feature: the welcome of a hub from before it (no "features")
            FakeHub old = closing(new FakeHub().begin());
            old.confirming = true;
            WebSocketTransport t = closing(WebSocketTransport.of(WebSocketConfig.builder(old.uri()).build()));
            t.start(context());
            List<Delivery> got = new CopyOnWriteArrayList<>();
            TransportSubscription s = t.subscribe(Address.event("v1.kit.pinged"), "svc", 100, got::add);
            String sub = old.frames.get(0).control().path("sub").asText();
            for (int i = 1; i <= 20; i++) {
                old.sendToAll(delivery(sub, i));
            }
            Await.until(Duration.ofSeconds(10), () -> got.size() == 20, () -> "deliveries: " + got.size());
            for (Delivery d : got) {
                d.ack();
            }
            Await.until(Duration.ofSeconds(10), () -> old.frames.stream().filter(f -> Frames.ACK.equals(f.type())).count() == 20,
                    () -> "twenty ack frames: " + old.frames.size());
            assertTrue(old.frames.stream().filter(f -> Frames.ACK.equals(f.type())).allMatch(f -> f.control().has("tag")
                    && !f.control().has("tags")), "one tag per ack frame");
            s.close();
        }
    }

    @Test
    void overAHubThatSpeaksBatchEveryMessageIsConfirmedAndSettledOnce() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().build().start()) {
            WebSocketTransport consumer = closing(TestHubs.client(hub, TestHubs.SERVICE_TOKEN));
            consumer.start(context());
            WebSocketTransport publisher = closing(TestHubs.client(hub, TestHubs.SERVICE_TOKEN));
            publisher.start(context());
            AtomicInteger handled = new AtomicInteger();
            consumer.subscribe(Address.event("v1.kit.pinged"), "svc", 50, d -> {
                handled.incrementAndGet();
                d.ack();
            });
            int n = 2000;
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(publisher.publish(Address.event("v1.kit.pinged"), WebSocketClientTest.headers(UUID.randomUUID().toString()),
                        BODY));
            }
            CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(30), () -> handled.get() >= n, () -> "handled " + handled.get());
            assertEquals(n, handled.get(), "each message handled once (prefetch 50: the acks must flow for the rest to come)");
        }
    }

    private static String delivery(String sub, int tag) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"t\",\"type\":\"v1.kit.pinged\","
                + "\"datacontenttype\":\"application/json\",\"courierwssub\":\"" + sub + "\",\"courierwstag\":\"" + tag
                + "\",\"data\":{\"n\":" + tag + "}}";
    }
}
