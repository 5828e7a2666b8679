package dev.courier;

import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.PayloadCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The error model (docs/architecture.md, "Errors"): every asynchronous method of {@link MessageBus}
 * fails its future, never throws, for runtime conditions; only a null argument throws
 * (NullPointerException). Every failure is a {@link CourierException}; the user's own
 * {@link NonRetryableException} is not one.
 */
class ErrorModelTest {

    @MessageName("v1.errors.happened")
    record Happened(int n) implements Event {
    }

    @MessageName("v1.errors.do")
    record Do(int n) implements Command {
    }

    /** No @MessageName: the bus cannot name it. */
    record Nameless(int n) implements Event {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final String brokerName = "errors-" + UUID.randomUUID();
    private final List<MessageBus> buses = new ArrayList<>();

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    private MessageBus bus(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus;
    }

    private MessageBus started() {
        return bus(MessageBus.builder("errors").transport("memory:" + brokerName).produces(Happened.class, Do.class)).start();
    }

    /** Calls {@code call}, which must not throw, and returns what its failed future failed with. */
    private static Throwable failure(Supplier<CompletableFuture<?>> call) {
        CompletableFuture<?> f = call.get(); // must not throw
        CompletionException e = assertThrows(CompletionException.class, () -> f.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join());
        assertInstanceOf(CourierException.class, e.getCause(), "a future fails with a CourierException: " + e.getCause());
        return e.getCause();
    }

    @Test
    void theRequestFailuresShareOneParentAndTheUsersSignalIsNotCourierOwn() {
        assertInstanceOf(RequestException.class, new RequestTimeoutException("t"));
        assertInstanceOf(RequestException.class, new ReplyLostException("r"));
        assertInstanceOf(RequestException.class, new RemoteHandlerException("boom", "E"));
        assertInstanceOf(CourierException.class, new RequestException("x"));
        Object signal = new NonRetryableException("bad data");
        assertFalse(signal instanceof CourierException, "catching CourierException must not catch the user's own signal");
        assertInstanceOf(RuntimeException.class, signal);
    }

    @Test
    void aMessageOverALimitFailsTheFutureInsteadOfThrowing() {
        MessageBus bus = started();
        String big = "x".repeat(2 * 1024 * 1024);
        assertInstanceOf(LimitExceededException.class, failure(() -> bus.publish(new Happened(1), Map.of("big", big))));
        assertInstanceOf(LimitExceededException.class, failure(() -> bus.send(new Do(1), Map.of("big", big))));
        assertInstanceOf(LimitExceededException.class, failure(() -> bus.publish(new Happened(1), Map.of("id", "i".repeat(300)))));
    }

    @Test
    void invalidHeadersFailTheFutureWithAPublishException() {
        MessageBus bus = started();
        assertInstanceOf(PublishException.class, failure(() -> bus.publish(new Happened(1), Map.of("Bad-Name", "x"))));
        assertInstanceOf(PublishException.class, failure(() -> bus.publish(new Happened(1), Map.of("correlationid", "x"))));
        assertInstanceOf(PublishException.class, failure(() -> bus.send(new Do(1), Map.of("id", " "))));
    }

    @Test
    void anUnnamedTypeFailsTheFutureWithAConfigurationException() {
        MessageBus bus = started();
        assertInstanceOf(ConfigurationException.class, failure(() -> bus.publish(new Nameless(1))));
    }

    @Test
    void anUndeclaredTypeOnAStrictBusFailsTheFuture() {
        MessageBus strict = bus(MessageBus.builder("strict").transport("memory:" + brokerName).strictProduces(true)).start();
        Throwable e = failure(() -> strict.publish(new Happened(1)));
        assertTrue(e.getMessage().contains("produces"), e.getMessage());
    }

    @Test
    void aCodecFailureFailsTheFuture() {
        PayloadCodec broken = new PayloadCodec() {
            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public byte[] encode(Object value) {
                throw new CodecException("cannot encode " + value, null);
            }

            @Override
            public <T> T decode(byte[] body, Class<T> type) {
                throw new CodecException("cannot decode", null);
            }
        };
        MessageBus bus = bus(MessageBus.builder("codec").transport("memory:" + brokerName).codec(broken)
                .produces(Happened.class, Do.class)).start();
        assertInstanceOf(CodecException.class, failure(() -> bus.publish(new Happened(1))));
        assertInstanceOf(CodecException.class, failure(() -> bus.request(new Do(1), String.class, PATIENCE)));
    }

    @Test
    void aRequestThatCannotBeMadeFailsItsFuture() {
        MessageBus bus = started();
        assertInstanceOf(PublishException.class, failure(() -> bus.request(new Do(1), String.class, Duration.ZERO)));
        assertInstanceOf(PublishException.class, failure(() -> bus.request(new Do(1), String.class, Duration.ofSeconds(-1))));
    }

    @Test
    void aClosedOrUnstartedBusFailsEveryFuture() {
        MessageBus unstarted = bus(MessageBus.builder("unstarted").transport("memory:" + brokerName).produces(Happened.class, Do.class));
        assertInstanceOf(PublishException.class, failure(() -> unstarted.publish(new Happened(1))));
        MessageBus bus = started();
        bus.close();
        assertInstanceOf(PublishException.class, failure(() -> bus.publish(new Happened(1))));
        assertInstanceOf(PublishException.class, failure(() -> bus.send(new Do(1))));
        assertInstanceOf(PublishException.class, failure(() -> bus.request(new Do(1), String.class, PATIENCE)));
        assertInstanceOf(PublishException.class, failure(() -> bus.sendPrepared(
                PreparedMessage.of(dev.courier.spi.Address.event("v1.errors.happened"), Map.of("id", "1"), new byte[0]))));
    }

    @Test
    void startingAClosedBusThrowsACourierException() {
        MessageBus bus = started();
        bus.close();
        CourierException e = assertThrows(CourierException.class, bus::start);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void anOutboundInterceptorThatThrowsFailsTheFuture() {
        MessageBus bus = bus(MessageBus.builder("intercepted").transport("memory:" + brokerName).produces(Happened.class)
                .interceptor(Interceptor.outbound(chain -> {
                    throw new IllegalStateException("refused by an interceptor");
                }))).start();
        Throwable e = failure(() -> bus.publish(new Happened(1)));
        assertInstanceOf(PublishException.class, e);
        assertInstanceOf(IllegalStateException.class, e.getCause(), "the interceptor's exception is the cause");
    }

    @Test
    void onlyANullArgumentThrows() {
        MessageBus bus = started();
        assertThrows(NullPointerException.class, () -> bus.publish(null));
        assertThrows(NullPointerException.class, () -> bus.send(null));
        assertThrows(NullPointerException.class, () -> bus.request(null, String.class, PATIENCE));
        assertThrows(NullPointerException.class, () -> bus.sendPrepared(null));
    }

    @Test
    void insideAHandlerAMessageThatCannotBeMadeFailsItsFutureAndTheAttempt() {
        AtomicInteger attempts = new AtomicInteger();
        List<Throwable> seen = new ArrayList<>();
        MessageBus[] self = new MessageBus[1];
        self[0] = bus(MessageBus.builder("relay").transport("memory:" + brokerName).produces(Happened.class)
                .retryPolicy(RetryPolicy.none())
                .onCommand(Do.class, (cmd, ctx) -> {
                    attempts.incrementAndGet();
                    CompletableFuture<Void> f = self[0].publish(new Happened(1), Map.of("big", "z".repeat(2 * 1024 * 1024)));
                    f.whenComplete((x, e) -> {
                        synchronized (seen) {
                            seen.add(e);
                        }
                    });
                })).start();
        MessageBus sender = started();
        sender.send(new Do(1)).join();
        Await.until(PATIENCE, () -> !self[0].deadLetters().list(10).isEmpty(), () -> "the attempt must fail and dead-letter");
        assertEquals(1, attempts.get(), "a LimitExceededException is not retried");
        synchronized (seen) {
            assertEquals(1, seen.size());
            assertInstanceOf(LimitExceededException.class, seen.get(0));
        }
        assertEquals(LimitExceededException.class.getName(), self[0].deadLetters().list(10).get(0).errorType());
    }

    @Test
    void deadLetterMisuseIsACourierException() {
        MessageBus bus = started();
        assertThrows(CourierException.class, () -> bus.deadLetters().list(0));
        assertInstanceOf(CourierException.class, failure(() -> bus.deadLetters().replay("no-such-id")));
    }
}
