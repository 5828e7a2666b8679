package dev.courier;

import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interceptor chains on the in-memory transport: order, threads, exceptions, the built-in links. */
class InterceptorTest {

    @MessageName("v1.icpt.happened")
    record Happened(int n) implements Event {
    }

    @MessageName("v1.icpt.followed")
    record Followed(int n) implements Event {
    }

    @MessageName("v1.icpt.ask")
    record Ask(int n) implements Command {
    }

    record Answer(int n) {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final List<MessageBus> buses = new ArrayList<>();
    private final String broker = "icpt-" + UUID.randomUUID();

    private MessageBus.Builder bus(String service) {
        return MessageBus.builder(service).transport("memory:" + broker).produces(Happened.class, Followed.class, Ask.class)
                .retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(1))
                        .redeliveryDelays(Duration.ofMillis(20)).build());
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

    /** Records "name>" before proceed and "<name" after, for both chains. */
    static final class Recorder implements Interceptor.Inbound, Interceptor.Outbound {
        final String name;
        final List<String> log;

        Recorder(String name, List<String> log) {
            this.name = name;
            this.log = log;
        }

        @Override
        public void intercept(InboundChain chain) throws Exception {
            log.add("in " + name + ">");
            try {
                chain.proceed();
            } finally {
                log.add("in <" + name);
            }
        }

        @Override
        public CompletableFuture<Void> intercept(OutboundChain chain) {
            log.add("out " + name + " " + chain.kind() + " " + chain.destination());
            return chain.proceed();
        }
    }

    @Test
    void interceptorsRunInRegistrationOrderAroundTheHandlerAndBeforeEachMessage() {
        List<String> log = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        start(bus("ordered").interceptor(new Recorder("a", log)).interceptor(new Recorder("b", log))
                .onEvent(Happened.class, (e, ctx) -> {
                    log.add("handler");
                    ctx.publish(new Followed(e.n()));
                }));
        start(bus("tail").onEvent(Followed.class, (e, ctx) -> done.complete(null)));
        MessageBus pub = start(bus("pub").interceptor(new Recorder("p", log)));
        pub.publish(new Happened(1)).join();
        done.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        Await.until(PATIENCE, () -> log.contains("in <a"), () -> "the chain should unwind: " + log);
        assertEquals(List.of("out p EVENT v1.icpt.happened", "in a>", "in b>", "handler",
                "out a EVENT v1.icpt.followed", "out b EVENT v1.icpt.followed", "in <b", "in <a"), log,
                "outbound before the send, inbound outermost first; a held message passes the outbound chain inside the handler");
    }

    @Test
    void theInboundChainSeesTheAttemptAndRunsOnTheHandlerThreadWithMdc() {
        Map<String, Object> seen = new ConcurrentHashMap<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        start(bus("seer").interceptor(Interceptor.inbound(chain -> {
            seen.put("service", chain.service());
            seen.put("attempt", chain.attempt());
            seen.put("kind", chain.kind());
            seen.put("protocol", chain.protocol());
            seen.put("type", chain.envelope().type());
            seen.put("thread", Thread.currentThread().getName());
            seen.put("mdcService", String.valueOf(MDC.get("service")));
            seen.put("mdcCorrelation", String.valueOf(MDC.get("correlationId")));
            chain.proceed();
            seen.put("outcome", chain.outcomeOf(null));
        })).onEvent(Happened.class, (e, ctx) -> {
            seen.put("handlerThread", Thread.currentThread().getName());
            done.complete(null);
        }));
        MessageBus pub = start(bus("pub"));
        pub.publish(new Happened(1)).join();
        done.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        Await.until(PATIENCE, () -> seen.containsKey("outcome"), () -> "seen " + seen);
        assertEquals("seer", seen.get("service"));
        assertEquals(1, seen.get("attempt"));
        assertEquals(MessageKind.EVENT, seen.get("kind"));
        assertEquals("memory", seen.get("protocol"));
        assertEquals("v1.icpt.happened", seen.get("type"));
        assertEquals(seen.get("handlerThread"), seen.get("thread"), "the inbound chain runs on the handler thread");
        assertEquals("seer", seen.get("mdcService"), "the MDC link runs outside the interceptors and names the service");
        assertTrue(!"null".equals(seen.get("mdcCorrelation")), "correlation id in the MDC: " + seen);
        assertEquals(AttemptOutcome.SUCCESS, seen.get("outcome"));
        assertNull(MDC.get("service"), "the MDC is cleared on this thread (the test thread never had it)");
    }

    @Test
    void anInboundInterceptorThatThrowsFailsTheAttemptLikeTheHandlerWouldAndOutcomesFollowThePolicy() {
        List<AttemptOutcome> outcomes = new CopyOnWriteArrayList<>();
        AtomicInteger handlerRuns = new AtomicInteger();
        MessageBus svc = start(bus("guarded").interceptor(Interceptor.inbound(chain -> {
            try {
                chain.proceed();
            } catch (Exception e) {
                outcomes.add(chain.outcomeOf(e));
                throw e;
            }
        })).interceptor(Interceptor.inbound(chain -> {
            if (chain.envelope().header("block") != null) {
                throw new IllegalStateException("blocked by an interceptor");
            }
            chain.proceed();
        })).onEvent(Happened.class, (e, ctx) -> handlerRuns.incrementAndGet()));
        MessageBus pub = start(bus("pub"));
        pub.publish(new Happened(1), Map.of("block", "yes")).join();
        Await.until(PATIENCE, () -> !svc.deadLetters().list(5).isEmpty(), () -> "dead-lettered after the policy: " + outcomes);
        assertEquals(0, handlerRuns.get(), "the interceptor stopped the handler");
        assertEquals(List.of(AttemptOutcome.RETRY, AttemptOutcome.REDELIVERY, AttemptOutcome.RETRY,
                AttemptOutcome.DEAD_LETTER), outcomes, "2 immediate attempts x (1 + 1 redelivery)");
        DeadLetter dl = svc.deadLetters().list(5).get(0);
        assertEquals("blocked by an interceptor", dl.errorMessage());
        assertEquals(4, dl.attempts());
        pub.publish(new Happened(2)).join();
        Await.until(PATIENCE, () -> handlerRuns.get() == 1, () -> "an unblocked message is handled");
    }

    @Test
    void anOutboundInterceptorAddsHeadersButCannotChangeCouriersOwnAndItsExceptionReachesThePublisher() {
        CompletableFuture<Envelope> got = new CompletableFuture<>();
        start(bus("sink").onEvent(Happened.class, (e, ctx) -> got.complete(ctx.envelope())));
        List<String> refused = new CopyOnWriteArrayList<>();
        MessageBus pub = start(bus("pub").interceptor(Interceptor.outbound(chain -> {
            if (chain.envelope().header("fail") != null) {
                throw new IllegalStateException("refused by an interceptor");
            }
            chain.headers().put("tenant", "acme");
            for (String own : List.of("id", "correlationid", "type")) {
                try {
                    chain.headers().put(own, "x");
                } catch (PublishException e) {
                    refused.add(own);
                }
            }
            assertEquals("acme", chain.envelope().header("tenant"), "the envelope shows changes");
            assertNull(chain.parent(), "a root publish has no parent");
            return chain.proceed();
        })));
        CompletionException failed = assertThrows(CompletionException.class,
                () -> pub.publish(new Happened(0), Map.of("fail", "1")).join()); // fails the future, never throws
        assertInstanceOf(PublishException.class, failed.getCause());
        assertEquals("refused by an interceptor", failed.getCause().getCause().getMessage());
        pub.publish(new Happened(1)).join();
        Envelope env = got.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        assertEquals("acme", env.header("tenant"));
        assertEquals(List.of("id", "correlationid", "type"), refused);
        assertEquals(env.id(), env.correlationId(), "Courier's own headers unchanged");
    }

    @Test
    void anOutboundInterceptorThatBreaksALimitFailsThePublishBeforeAnythingIsSent() {
        AtomicInteger handled = new AtomicInteger();
        start(bus("sink").onEvent(Happened.class, (e, ctx) -> handled.incrementAndGet()));
        MessageBus pub = start(bus("pub").interceptor(Interceptor.outbound(chain -> {
            chain.headers().put("huge", "x".repeat(2 * 1024 * 1024));
            return chain.proceed();
        })));
        CompletionException e = assertThrows(CompletionException.class, () -> pub.publish(new Happened(1)).join());
        assertInstanceOf(LimitExceededException.class, e.getCause());
        Await.stays(Duration.ofMillis(200), () -> handled.get() == 0, () -> "nothing may be sent");
    }

    @Test
    void requestsAndRepliesPassTheOutboundChainWithTheirKindAndParent() {
        List<String> seen = new CopyOnWriteArrayList<>();
        Interceptor.Outbound record = chain -> {
            seen.add(chain.service() + " " + chain.kind() + " " + (chain.kind() == MessageKind.REPLY ? "reply-address"
                    : chain.destination()) + " parent=" + (chain.parent() == null ? "none" : chain.parent().type()));
            return chain.proceed();
        };
        start(bus("answerer").interceptor(record).onCommand(Ask.class, (a, ctx) -> ctx.reply(new Answer(a.n() + 1))));
        MessageBus asker = start(bus("asker").interceptor(record));
        Answer answer = asker.request(new Ask(1), Answer.class, PATIENCE).join();
        assertEquals(2, answer.n());
        assertEquals(List.of("asker REQUEST v1.icpt.ask parent=none", "answerer REPLY reply-address parent=v1.icpt.ask"), seen);
    }

    @Test
    void busListenersStillGetEveryCallbackAndSeveralCanBeRegistered() {
        Map<String, AtomicInteger> first = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> second = new ConcurrentHashMap<>();
        List<BusListener> both = new ArrayList<>();
        for (Map<String, AtomicInteger> counts : List.of(first, second)) {
            both.add(new BusListener() {
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
                public void duplicate(Envelope envelope) {
                    count("duplicate");
                }

                @Override
                public void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
                    count(delayed ? "delayed" : "retried");
                }

                @Override
                public void deadLettered(Envelope envelope, String messageId, Throwable error) {
                    count("deadLettered");
                }

                @Override
                public void replied(String service, String requestType, Duration waited, Throwable error) {
                    count("replied " + service + " " + requestType + " " + (error == null ? "ok" : error.getClass().getSimpleName()));
                }
            });
        }
        start(bus("observed").listener(both.get(0)).listener(both.get(1))
                .onEvent(Happened.class, (e, ctx) -> {
                    if (e.n() < 0) {
                        throw new IllegalStateException("bad");
                    }
                })
                .onCommand(Ask.class, (a, ctx) -> ctx.reply(new Answer(a.n()))));
        MessageBus pub = start(bus("pub").listener(both.get(0)).listener(both.get(1)));
        pub.publish(new Happened(1), Map.of("id", "same-id")).join();
        pub.publish(new Happened(-1)).join();
        pub.request(new Ask(3), Answer.class, PATIENCE).join();
        Await.until(PATIENCE, () -> first.containsKey("deadLettered") && first.containsKey("handled"), () -> "outcomes: " + first);
        pub.publish(new Happened(1), Map.of("id", "same-id")).join();
        for (Map<String, AtomicInteger> counts : List.of(first, second)) {
            Await.until(PATIENCE, () -> counts.containsKey("duplicate") && counts.containsKey("replied pub v1.icpt.ask ok"),
                    () -> "outcomes: " + counts);
            assertTrue(counts.get("published").get() >= 4, "3 events, a request, its reply, the dead letter: " + counts);
            assertEquals(2, counts.get("handled").get(), "the event and the request: " + counts);
            assertEquals(2, counts.get("retried").get(), "one immediate retry per delivery: " + counts);
            assertEquals(1, counts.get("delayed").get(), counts.toString());
            assertEquals(1, counts.get("deadLettered").get(), counts.toString());
            assertEquals(1, counts.get("duplicate").get(), counts.toString());
        }
    }

    @Test
    void aLinkThatCallsProceedTwiceIsToldSo() {
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        AtomicInteger runs = new AtomicInteger();
        start(bus("twice").retryPolicy(RetryPolicy.custom().maxAttempts(1).redeliveryDelays(List.of()).build())
                .interceptor(Interceptor.inbound(chain -> {
                    chain.proceed();
                    try {
                        chain.proceed();
                    } catch (CourierException e) {
                        error.complete(e);
                        throw e;
                    }
                })).onEvent(Happened.class, (e, ctx) -> runs.incrementAndGet()));
        start(bus("pub")).publish(new Happened(1)).join();
        Throwable e = error.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        assertInstanceOf(CourierException.class, e);
        assertTrue(e.getMessage().contains("at most once"), e.getMessage());
        assertEquals(1, runs.get(), "the handler ran once");
    }

    @Test
    void buildRefusesNullInterceptorsAndListeners() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> bus("nulls").interceptor(null).listener(null).build());
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().contains("interceptor must not be null") && e.getMessage().contains("listener must not be null"),
                e.getMessage());
    }
}
