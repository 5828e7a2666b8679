package dev.courier.kit;

import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whether publish may block its caller (issue 12): it never blocks longer than the publish timeout,
 * and never blocks a thread the transport delivers on — there it returns a pending future instead
 * of waiting for room, since the room it waits for may depend on that very thread.
 */
public interface PublishCases extends KitHarness {

    /** More than the memory kit's queues hold (1,000), and more than any transport's in-flight window. */
    int BURST = 2_000;

    /**
     * Checks that publishing from inside delivery callbacks, more than the broker or window buffers, never deadlocks: every publish completes or fails within the publish timeout.
     *
     */
    @KitCase
    default void aDeliveryCallbackThatPublishesMoreThanTheBrokerBuffersDoesNotDeadlock() {
        Duration publishTimeout = Duration.ofSeconds(10);
        Transport t = unstartedTransport();
        t.start(new TransportContext("kitraw", "burst", publishTimeout));
        String trigger = UUID.randomUUID().toString();
        Set<String> burst = ConcurrentHashMap.newKeySet();
        Set<String> arrived = ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Void>> confirms = new CopyOnWriteArrayList<>();
        AtomicLong callbackNanos = new AtomicLong(-1);
        AtomicBoolean stop = new AtomicBoolean();
        // prefetch 1: while the callback runs, it holds the group's only delivery slot
        t.subscribe(PINGED, "burst", 1, d -> {
            String id = d.headers().get(Headers.ID);
            if (!trigger.equals(id)) {
                arrived.add(id);
                d.ack();
                return;
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < BURST && !stop.get(); i++) {
                String child = UUID.randomUUID().toString();
                burst.add(child);
                confirms.add(t.publish(PINGED, headersFor("v1.kit.pinged", child), json("{\"n\":" + i + ",\"text\":\"b\"}")));
            }
            callbackNanos.set(System.nanoTime() - t0);
            d.ack();
        });
        // published from a thread of its own: on some transports the publishing thread runs the callback
        CompletableFuture<Void> published = new CompletableFuture<>();
        Thread publisher = new Thread(() -> {
            try {
                published.complete(t.publish(PINGED, headersFor("v1.kit.pinged", trigger), json("{\"n\":0}")).join());
            } catch (RuntimeException e) {
                published.completeExceptionally(e);
            }
        }, "kit-burst-trigger");
        publisher.setDaemon(true);
        publisher.start();
        String check = "a publish called on a thread the transport delivers on must not wait for room (the room may"
                + " depend on that thread: here the callback holds the group's only delivery slot) — check that publish"
                + " returns a pending future there and waits up to the publish timeout only on other threads";
        try {
            Duration bound = publishTimeout.dividedBy(2);
            Await.until(bound.plus(patience()), () -> callbackNanos.get() >= 0, () -> "the delivery callback did not"
                    + " finish its " + BURST + " publish calls (" + confirms.size() + " made): " + check);
            assertTrue(callbackNanos.get() < bound.toNanos(), () -> "publishing " + BURST + " messages inside a"
                    + " delivery callback took " + Duration.ofNanos(callbackNanos.get()) + ": " + check);
        } finally {
            stop.set(true);
        }
        join(published, patience());
        join(CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])), patience());
        Await.until(patience(), () -> arrived.containsAll(burst), () -> "every message published from the callback"
                + " should arrive, " + arrived.size() + " of " + burst.size() + " did");
    }
}
