package dev.courier.kafka;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Publishes made on a delivery thread are admitted on the sender thread; their records must not queue
 * behind the publishes that wait for the room they are to make (a burst larger than the window would
 * otherwise stall the sender until every waiting publish timed out).
 */
class KafkaPublishWindowTest {
    private final String ns = "kw" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    private Transport t;

    @BeforeAll
    static void broker() {
        KafkaBroker.bootstrap();
    }

    @AfterEach
    void cleanUp() {
        if (t != null) {
            t.close();
        }
        KafkaBroker.deleteNamespace(ns);
    }

    @Test
    void aBurstFromADeliveryCallbackFourTimesTheWindowIsAllConfirmed() throws Exception {
        t = KafkaTransport.of(KafkaConfig.builder(KafkaBroker.bootstrap()).prefix(ns).partitions(1).publishWindow(5).build());
        t.start(new TransportContext("window", "w1", Duration.ofSeconds(5)));
        String trigger = UUID.randomUUID().toString();
        List<CompletableFuture<Void>> burst = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> made = new CompletableFuture<>();
        t.subscribe(Address.event("v1.window.tick"), "window", 1, d -> {
            if (trigger.equals(d.headers().get(Headers.ID))) {
                for (int i = 0; i < 20; i++) {
                    burst.add(publish("b" + i));
                }
                made.complete(null);
            }
            d.ack();
        });
        publish(trigger).get(30, TimeUnit.SECONDS);
        made.get(30, TimeUnit.SECONDS);
        int ok = 0;
        for (CompletableFuture<Void> f : burst) {
            try {
                f.get(30, TimeUnit.SECONDS);
                ok++;
            } catch (Exception e) {
                // counted below
            }
        }
        assertEquals(20, ok, "every publish of the burst (window 5) should be confirmed within the 5 s publish timeout");
    }

    private CompletableFuture<Void> publish(String id) {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, id);
        h.put(Headers.TYPE, "v1.window.tick");
        h.put(Headers.SOURCE, "window");
        h.put(Headers.SPECVERSION, "1.0");
        return t.publish(Address.event("v1.window.tick"), h, "{}".getBytes(StandardCharsets.UTF_8));
    }
}
