package dev.courier;

import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.testing.LogCapture;
import dev.courier.testing.ManualScheduler;
import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pipeline's steps on the in-memory transport, with an injected scheduler where time matters. */
class PipelineTest {

    @MessageName("v1.test.happened")
    record Happened(int n) implements Event {
    }

    @MessageName("v1.test.followed")
    record Followed(int n) implements Event {
    }

    @MessageName("v1.test.do")
    record Do(int n) implements Command {
    }

    record Done(int n) {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final List<MessageBus> buses = new ArrayList<>();
    private final String broker = "pipeline-" + UUID.randomUUID();

    private MessageBus.Builder bus(String service) {
        return MessageBus.builder(service).transport("memory:" + broker).produces(Happened.class, Followed.class, Do.class);
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    @Test
    void immediateRetriesWaitOnTheSchedulerNotOnAThread() {
        ManualScheduler scheduler = new ManualScheduler();
        AtomicInteger attempts = new AtomicInteger();
        MessageBus svc = start(bus("retrying").scheduler(scheduler)
                .retryPolicy(RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofMillis(100)).multiplier(2)
                        .jitter(0).redeliveryDelays(List.of()).build())
                .onEvent(Happened.class, (e, ctx) -> {
                    attempts.incrementAndGet();
                    throw new IllegalStateException("always");
                }));
        start(bus("pub")).publish(new Happened(1)).join();
        Await.until(PATIENCE, () -> attempts.get() == 1, () -> "first attempt runs at once");
        Await.until(PATIENCE, () -> scheduler.pending() == 1, () -> "the backoff is scheduled");
        scheduler.advance(99);
        assertEquals(1, attempts.get(), "nothing runs before the backoff has passed");
        scheduler.advance(1);
        Await.until(PATIENCE, () -> attempts.get() == 2, () -> "second attempt after 100 ms");
        Await.until(PATIENCE, () -> scheduler.pending() == 1, () -> "second backoff scheduled");
        scheduler.advance(199);
        assertEquals(2, attempts.get());
        scheduler.advance(1);
        Await.until(PATIENCE, () -> svc.deadLetters().list(5).size() == 1, () -> "dead letter after 3 attempts");
        assertEquals(3, attempts.get());
        assertEquals(List.of(100L, 200L), scheduler.requestedDelaysMillis(), "exponential backoff");
        assertEquals(3, svc.deadLetters().list(5).get(0).attempts());
    }

    @Test
    void aFailedAttemptSendsNothingAndTheRetryDerivesTheSameIds() {
        List<MessageContext> followed = new CopyOnWriteArrayList<>();
        AtomicReference<String> handledId = new AtomicReference<>();
        AtomicInteger attempts = new AtomicInteger();
        start(bus("producer").retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ZERO)
                .redeliveryDelays(List.of()).build()).onEvent(Happened.class, (e, ctx) -> {
            handledId.set(ctx.messageId());
            ctx.publish(new Followed(e.n()));
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("fail after publishing");
            }
        }));
        start(bus("observer").onEvent(Followed.class, (e, ctx) -> followed.add(ctx)));
        start(bus("pub")).publish(new Happened(5)).join();
        Await.until(PATIENCE, () -> followed.size() == 1, () -> "the successful attempt's event arrives");
        Await.stays(Duration.ofMillis(300), () -> followed.size() == 1, () -> "the failed attempt sent nothing");
        String expected = UUID.nameUUIDFromBytes(("producer/" + handledId.get() + "/0").getBytes(StandardCharsets.UTF_8))
                .toString();
        assertEquals(expected, followed.get(0).messageId(), "derived from the emitting service, the handled id and the position");
        assertEquals(handledId.get(), followed.get(0).envelope().causationId());
    }

    @Test
    void mdcCarriesIdsWhileTheHandlerRunsAndIsClearedAfter() throws Exception {
        ExecutorService single = Executors.newSingleThreadExecutor();
        try {
            AtomicReference<Map<String, String>> inside = new AtomicReference<>();
            CountDownLatch handled = new CountDownLatch(1);
            start(bus("logging").handlerExecutor(single).onEvent(Happened.class, (e, ctx) -> {
                inside.set(MDC.getCopyOfContextMap());
                handled.countDown();
            }));
            start(bus("pub")).publish(new Happened(1)).join();
            assertTrue(handled.await(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertEquals("v1.test.happened", inside.get().get("messageType"));
            assertEquals(inside.get().get("messageId"), inside.get().get("correlationId"), "a root's correlation is its id");
            Map<String, String> after = single.submit(MDC::getCopyOfContextMap).get();
            assertTrue(after == null || after.isEmpty(), "MDC cleared after the handler: " + after);
        } finally {
            single.shutdownNow();
        }
    }

    @Test
    void aRequestWhoseCallerGaveUpIsNotHandled() {
        AtomicInteger runs = new AtomicInteger();
        MessageBus.Builder handlerBus = bus("doer").instanceId("one").onCommand(Do.class, (c, ctx) -> {
            runs.incrementAndGet();
            ctx.reply(new Done(c.n()));
        });
        MessageBus first = start(handlerBus);
        first.close(); // the command queue stays, like a durable queue
        MessageBus client = start(bus("client"));
        CompletableFuture<Done> reply = client.request(new Do(1), Done.class, Duration.ofMillis(200));
        ExecutionException e = assertThrows(ExecutionException.class, () -> reply.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
        assertInstanceOf(RequestTimeoutException.class, e.getCause());
        InMemoryBroker b = InMemoryBroker.named(broker);
        start(bus("doer").instanceId("two").onCommand(Do.class, (c, ctx) -> runs.incrementAndGet()));
        Await.until(PATIENCE, () -> b.depth(dev.courier.spi.Address.command("v1.test.do"), "doer") == 0,
                () -> "the expired request is consumed");
        Await.stays(Duration.ofMillis(300), () -> runs.get() == 0, () -> "the handler must not run an expired request");
    }

    @Test
    void aLateReplyIsDroppedAndNeverReachesAnotherCaller() throws Exception {
        start(bus("slow").concurrency(2).onCommand(Do.class, (c, ctx) -> {
            if (c.n() == 1) {
                Thread.sleep(800); // simulated slow work: the reply comes after the caller gave up
            }
            ctx.reply(new Done(c.n()));
        }));
        MessageBus client = start(bus("client"));
        CompletableFuture<Done> late = client.request(new Do(1), Done.class, Duration.ofMillis(300));
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
        assertInstanceOf(RequestTimeoutException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("v1.test.do"), e.getCause().getMessage());
        for (int i = 2; i < 6; i++) {
            assertEquals(i, client.request(new Do(i), Done.class, Duration.ofSeconds(10)).get(PATIENCE.toMillis(),
                    TimeUnit.MILLISECONDS).n(), "each caller gets its own reply");
        }
    }

    @Test
    void aFullQueueMakesPublishFailAfterThePublishTimeout() throws Exception {
        InMemoryBroker tiny = InMemoryBroker.create(5, 5);
        CountDownLatch release = new CountDownLatch(1);
        MessageBus svc = MessageBus.builder("blocked").transport(tiny.connect()).concurrency(1).prefetch(1)
                .onEvent(Happened.class, (e, ctx) -> release.await()).build().start();
        MessageBus pub = MessageBus.builder("pub").transport(tiny.connect()).publishTimeout(Duration.ofMillis(200))
                .produces(Happened.class).build().start();
        buses.add(svc);
        buses.add(pub);
        try {
            pub.publish(new Happened(0)).join();
            Await.until(PATIENCE, () -> tiny.depth(dev.courier.spi.Address.event("v1.test.happened"), "blocked") == 0,
                    () -> "first message taken by the blocked handler");
            for (int i = 1; i <= 5; i++) {
                pub.publish(new Happened(i)).join();
            }
            long t0 = System.nanoTime();
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> pub.publish(new Happened(6)).get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS));
            assertInstanceOf(PublishTimeoutException.class, e.getCause());
            assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(150), "it waited for room first");
        } finally {
            release.countDown();
        }
    }

    @Test
    void listenerHearsEveryOutcome() {
        Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        BusListener listener = new BusListener() {
            void count(String k) {
                counts.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
            }

            @Override
            public void published(String messageType, String messageId) {
                count("published");
            }

            @Override
            public void handled(Envelope envelope, Duration handlerTime) {
                count("handled");
            }

            @Override
            public void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
                count(delayed ? "delayed" : "retried");
            }

            @Override
            public void deadLettered(Envelope envelope, String messageId, Throwable error) {
                count("deadLettered");
            }
        };
        start(bus("observed").listener(listener).retryPolicy(RetryPolicy.custom().maxAttempts(2)
                .initialBackoff(Duration.ofMillis(1)).redeliveryDelays(Duration.ofMillis(50)).build())
                .onEvent(Happened.class, (e, ctx) -> {
                    if (e.n() < 0) {
                        throw new IllegalStateException("bad");
                    }
                }));
        MessageBus pub = start(bus("pub").listener(listener));
        pub.publish(new Happened(1)).join();
        pub.publish(new Happened(-1)).join();
        Await.until(PATIENCE, () -> counts.containsKey("deadLettered") && counts.containsKey("handled"),
                () -> "outcomes: " + counts);
        assertTrue(counts.get("published").get() >= 3, "2 events + the dead letter confirm: " + counts);
        assertEquals(1, counts.get("handled").get());
        assertEquals(2, counts.get("retried").get(), "one immediate retry per delivery: " + counts);
        assertEquals(1, counts.get("delayed").get(), counts.toString());
    }

    @Test
    void publishingAnUndeclaredTypeWarnsOrFailsWhenStrict() {
        try (LogCapture log = LogCapture.of("dev.courier")) {
            MessageBus strict = start(MessageBus.builder("strict").transport("memory:" + broker).strictProduces(true));
            CourierException e = assertThrows(CompletionException.class, () -> strict.publish(new Happened(1)).join())
                    .getCause() instanceof CourierException c ? c : null; // fails the future, never throws
            assertNotNull(e);
            assertTrue(e.getMessage().contains("produces"), e.getMessage());
            assertEquals(0, log.count(Level.WARN, "without declaring it"), "strict fails instead of warning: " + log.dump());
            MessageBus lax = start(MessageBus.builder("lax").transport("memory:" + broker));
            lax.publish(new Happened(1)).join(); // allowed: only a warning, once
            lax.publish(new Happened(2)).join();
            List<String> warnings = log.messages(Level.WARN, "without declaring it");
            assertEquals(1, warnings.size(), "one warning per undeclared type, not per publish: " + log.dump());
            assertTrue(warnings.get(0).contains("'lax'") && warnings.get(0).contains("v1.test.happened"),
                    "the warning names the service and the message: " + warnings);
        }
    }
}
