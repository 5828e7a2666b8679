package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Faults: connections cut mid-stream, and a hub restarted while its clients run. */
class HubFaultTest {
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private MessageBus.Builder builder(java.net.URI hubUri, String service) {
        return MessageBus.builder(service)
                .transport(WebSocketTransport.of(WebSocketConfig.builder(hubUri).token(TestHubs.SERVICE_TOKEN)
                        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500)).build()))
                .retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(10))
                        .redeliveryDelays(Duration.ofMillis(200)).build())
                .publishTimeout(Duration.ofSeconds(20))
                .produces(Pinged.class);
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        open.add(bus);
        bus.start();
        return bus;
    }

    @Test
    void connectionsCutMidStreamLoseNothingAndDuplicatesAreSuppressed() throws Exception {
        WebSocketHub hub = TestHubs.builder().build().start();
        open.add(hub);
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        start(builder(hub.uri(), "sink").concurrency(4).onEvent(Pinged.class, (e, ctx) -> {
            handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet();
            Thread.sleep(1);
        }));
        MessageBus pub = start(builder(hub.uri(), "pub"));
        List<CompletableFuture<Void>> confirms = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            confirms.add(pub.publish(new Pinged(i, "cut")));
            if (i == 500 || i == 1200) {
                hub.dropConnections(); // both the consumer's and the publisher's connections die mid-stream
            }
        }
        CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(60), () -> handled.size() == 2000,
                () -> "every confirmed event is handled after the cuts; handled " + handled.size());
        Await.stays(Duration.ofMillis(500), () -> handled.values().stream().allMatch(c -> c.get() == 1),
                () -> "redeliveries after a cut must be suppressed as duplicates: "
                        + handled.entrySet().stream().filter(x -> x.getValue().get() > 1).limit(10).toList());
    }

    @Test
    void aRestartedHubIsFoundAgainByItsClientsOnTheSamePort() throws Exception {
        WebSocketHub first = TestHubs.builder().build().start();
        int port = first.port();
        java.net.URI uri = first.uri();
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageBus sink = start(builder(uri, "sink").onEvent(Pinged.class, (e, ctx) ->
                handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        MessageBus pub = start(builder(uri, "pub"));
        pub.publish(new Pinged(1, "before")).get(10, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(10), () -> handled.containsKey(1), () -> "delivered before the restart");

        first.close();
        Await.until(Duration.ofSeconds(10), () -> !sink.health().isHealthy(), () -> "the sink notices the hub is gone");
        WebSocketHub second = TestHubs.builder().port(port).build().start();
        open.add(second);
        Await.until(Duration.ofSeconds(20), () -> second.connectionCount() == 2,
                () -> "both clients reconnect by themselves; connected: " + second.connectionCount());
        Await.until(Duration.ofSeconds(20), () -> {
            pub.publish(new Pinged(2, "after"));
            return handled.containsKey(2);
        }, () -> "delivered after the restart (the sink subscribed again)");
        assertEquals(1, handled.get(1).get());
    }
}
