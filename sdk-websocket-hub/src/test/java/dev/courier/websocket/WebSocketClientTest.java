package dev.courier.websocket;

import dev.courier.PublishTimeoutException;
import dev.courier.websocket.hub.TestHubs;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The Java client transport against a real hub. */
class WebSocketClientTest {

    static Map<String, String> headers(String id) {
        return Map.of("id", id, "type", "v1.kit.pinged", "source", "t", "specversion", "1.0",
                "datacontenttype", "application/json");
    }

    /**
     * Issue 11.11: over the hub's rate limit the client applies back-pressure up to the publish
     * timeout (like every other transport) instead of failing at once with rate_limited.
     */
    @Test
    void publishingAboveTheRateLimitWaitsInsteadOfFailing() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().rateLimit(20, 5).build().start();
             WebSocketTransport sub = TestHubs.client(hub, TestHubs.SERVICE_TOKEN);
             WebSocketTransport pub = TestHubs.client(hub, TestHubs.SERVICE_TOKEN)) {
            sub.start(new TransportContext("sub", "s1", Duration.ofSeconds(10)));
            Set<String> got = ConcurrentHashMap.newKeySet();
            sub.subscribe(Address.event("v1.kit.pinged"), "rate", 64, d -> {
                got.add(d.headers().get("id"));
                d.ack();
            });
            pub.start(new TransportContext("pub", "p1", Duration.ofSeconds(10)));
            List<String> ids = new ArrayList<>();
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                fs.add(pub.publish(Address.event("v1.kit.pinged"), headers(id), "{\"n\":1}".getBytes(StandardCharsets.UTF_8)));
            }
            // 30 at 20/s with a burst of 5 (shared by both connections of the principal) take ~1.5 s
            CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(10), () -> got.containsAll(ids), () -> "every publish confirmed must arrive;"
                    + " got " + got.size() + " of " + ids.size());
        }
    }

    /** Past the publish timeout a rate-limited publish fails with PublishTimeoutException, naming the rate limit. */
    @Test
    void aPublishRateLimitedPastThePublishTimeoutTimesOut() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().rateLimit(0.5, 1).build().start();
             WebSocketTransport pub = TestHubs.client(hub, TestHubs.SERVICE_TOKEN)) {
            pub.start(new TransportContext("pub", "p1", Duration.ofMillis(800)));
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                fs.add(pub.publish(Address.event("v1.kit.pinged"), headers(UUID.randomUUID().toString()),
                        "{\"n\":1}".getBytes(StandardCharsets.UTF_8)));
            }
            ExecutionException e = assertThrows(ExecutionException.class, () -> fs.get(2).get(10, TimeUnit.SECONDS));
            assertInstanceOf(PublishTimeoutException.class, e.getCause(), "over the rate limit past the publish"
                    + " timeout: " + e.getCause());
            org.junit.jupiter.api.Assertions.assertTrue(e.getCause().getMessage().contains("rate"), e.getCause().getMessage());
        }
    }

    /**
     * Issue 10.8: the client's reconnects use the shared jittered {@link dev.courier.spi.Backoff} (through the
     * support package's Reconnector): while every attempt fails because the hub is gone, each attempt draws
     * its delay from the transport's backoff, and the backoff counts the failures.
     */
    @Test
    void reconnectsToALostHubWaitTheSharedJitteredBackoff() throws Exception {
        java.util.concurrent.atomic.AtomicInteger draws = new java.util.concurrent.atomic.AtomicInteger();
        dev.courier.spi.Backoff backoff = dev.courier.spi.Backoff.custom().initialDelay(Duration.ofMillis(10))
                .maxDelay(Duration.ofMillis(80)).random(() -> {
                    draws.incrementAndGet();
                    return 0.5;
                }).build();
        WebSocketHub hub = TestHubs.builder().build().start();
        try (WebSocketTransport client = new WebSocketTransport(WebSocketConfig.builder(hub.uri())
                .token(TestHubs.SERVICE_TOKEN).build(), backoff)) {
            client.start(new TransportContext("c", "c1", Duration.ofSeconds(10)));
            hub.close(); // from now on every attempt fails: nobody listens on the port
            Await.until(Duration.ofSeconds(60), () -> backoff.failures() >= 6 && draws.get() >= 6,
                    () -> "six reconnect attempts drawn from the backoff; failures " + backoff.failures());
        } finally {
            hub.close();
        }
    }
}
