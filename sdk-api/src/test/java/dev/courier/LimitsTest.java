package dev.courier;

import dev.courier.kit.Await;
import dev.courier.kit.Kit;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.testing.ForwardingTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every limit is checked once, in bytes, where a message is made, and on arrival; one error type names the limit. */
class LimitsTest {

    @MessageName("v1.limit.noted")
    record Noted(String text) implements Event {
    }

    @MessageName("v1.limit.note")
    record Note(String text) implements Command {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final String brokerName = "limits-" + UUID.randomUUID();
    private final InMemoryBroker broker = InMemoryBroker.named(brokerName);
    private final List<MessageBus> buses = new ArrayList<>();

    /** A memory transport that states AMQP-like limits: 64-byte attributes, 2 KiB values, 8 KiB of headers, 64 KiB bodies. */
    private final Limits tight = new Limits(64, 2048, 8192, 64 * 1024);

    private Transport tightTransport() {
        return new ForwardingTransport(broker.connect()) {
            @Override
            public Limits limits() {
                return tight;
            }
        };
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    private MessageBus publisher() {
        return start(MessageBus.builder("pub").transport(broker.connect()).produces(Noted.class, Note.class));
    }

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    /** A publish that breaks a limit fails its future (it never throws) with a LimitExceededException. */
    private static LimitExceededException limitBroken(java.util.function.Supplier<? extends java.util.concurrent.CompletableFuture<?>> publish) {
        java.util.concurrent.CompletionException e = assertThrows(java.util.concurrent.CompletionException.class,
                () -> publish.get().join());
        return assertInstanceOf(LimitExceededException.class, e.getCause());
    }

    @Test
    void anExplicitIdIsMeasuredInBytesNotCharacters() {
        MessageBus pub = publisher();
        LimitExceededException e = limitBroken(() -> pub.publish(new Noted("x"), Map.of("id", "ü".repeat(200))));
        assertEquals("maxAttributeBytes", e.limit());
        assertEquals(400, e.actualBytes(), "200 × 'ü' is 400 UTF-8 bytes");
        assertTrue(e.getMessage().contains("'id'") && e.getMessage().contains("400 bytes")
                && e.getMessage().contains("maxAttributeBytes is 200"), e.getMessage());
        pub.publish(new Noted("x"), Map.of("id", "ü".repeat(100))).join(); // 200 bytes: allowed
    }

    @Test
    void headerValuesAllHeadersAndTheBodyHaveLimits() {
        MessageBus pub = publisher();
        assertEquals("maxHeaderValueBytes", limitBroken(() -> pub.publish(new Noted("x"),
                Map.of("note", "n".repeat(Limits.DEFAULTS.maxHeaderValueBytes() + 1)))).limit());
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            many.put("part" + i, "p".repeat(Limits.DEFAULTS.maxHeaderValueBytes()));
        }
        assertEquals("maxHeadersBytes", limitBroken(() -> pub.publish(new Noted("x"), many)).limit());
        assertEquals("maxBodyBytes", limitBroken(() -> pub.send(new Note("b".repeat(Limits.DEFAULTS.maxBodyBytes())))).limit());
    }

    @Test
    void theTransportsLowerLimitsApply() {
        MessageBus pub = start(MessageBus.builder("pub").transport(tightTransport()).produces(Noted.class));
        LimitExceededException e = limitBroken(() -> pub.publish(new Noted("x"), Map.of("id", "i".repeat(65))));
        assertEquals(64, e.maxBytes(), "the transport's 64 bytes, not Courier's 200: " + e.getMessage());
        assertEquals("maxBodyBytes", limitBroken(() -> pub.publish(new Noted("b".repeat(64 * 1024)))).limit());
        assertEquals(tight, pub.description().limits());
    }

    @Test
    void aMessageHeldByAHandlerThatBreaksALimitFailsTheAttemptAndIsNotRetried() {
        AtomicInteger attempts = new AtomicInteger();
        MessageBus svc = start(MessageBus.builder("relay").transport(broker.connect()).produces(Noted.class)
                .onCommand(Note.class, (n, ctx) -> {
                    attempts.incrementAndGet();
                    ctx.publish(new Noted(n.text()), Map.of("copy", n.text().repeat(20_000)));
                }));
        publisher().send(new Note("xx")).join();
        Await.until(PATIENCE, () -> !svc.deadLetters().list(1).isEmpty(), () -> "the command should be dead-lettered");
        DeadLetter dl = svc.deadLetters().list(1).get(0);
        assertEquals(LimitExceededException.class.getName(), dl.errorType());
        assertTrue(dl.errorMessage().contains("maxHeaderValueBytes"), dl.errorMessage());
        assertEquals(1, attempts.get(), "breaking a limit is not retried");
    }

    @Test
    void anIncomingCorrelationIdOverTheTransportsLimitIsDeadLetteredAtOnce() {
        AtomicInteger handled = new AtomicInteger();
        MessageBus svc = start(MessageBus.builder("strict").transport(tightTransport())
                .onEvent(Noted.class, (n, ctx) -> handled.incrementAndGet()));
        Transport raw = broker.connect();
        raw.start(new TransportContext("foreign", "f1", Duration.ofSeconds(5)));
        try {
            String id = UUID.randomUUID().toString();
            Map<String, String> h = Kit.headersFor("v1.limit.noted", id);
            h.put(Headers.CORRELATION_ID, "c".repeat(100));
            Kit.join(raw.publish(Address.event("v1.limit.noted"), h, Kit.json("{\"text\":\"t\"}")), PATIENCE);
            Await.until(PATIENCE, () -> !svc.deadLetters().list(1).isEmpty(), () -> "dead-lettered at decode");
            DeadLetter dl = svc.deadLetters().list(1).get(0);
            assertEquals(LimitExceededException.class.getName(), dl.errorType());
            assertTrue(dl.errorMessage().contains("'correlationid'") && dl.errorMessage().contains("maxAttributeBytes"),
                    dl.errorMessage());
            assertEquals(0, dl.attempts(), "no handler attempt");
            assertEquals(0, handled.get());
        } finally {
            raw.close();
        }
    }

    @Test
    void limitsThatATransportStatesAreValidated() {
        assertThrows(ConfigurationException.class, () -> new Limits(10, 2048, 8192, 1));
        assertThrows(ConfigurationException.class, () -> new Limits(255, 100, 8192, 1));
        assertEquals(new Limits(64, 2048, 8192, 65536), Limits.DEFAULTS.min(tight));
    }
}
