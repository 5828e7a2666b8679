package dev.courier;

import ch.qos.logback.classic.Level;
import dev.courier.kit.Await;
import dev.courier.kit.Kit;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.testing.FaultyTransport;
import dev.courier.testing.LogCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A dead letter can always be stored: it is fitted to the transport's limits, and when the dead-letter
 * channel refuses it anyway, the way back is bounded and never runs the handler again.
 */
class DeadLetterPathTest {

    @MessageName("v1.dead.happened")
    record Happened(String text) implements Event {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final InMemoryBroker broker = InMemoryBroker.named("dlpath-" + UUID.randomUUID());
    private final List<MessageBus> buses = new ArrayList<>();
    private final List<Transport> raws = new ArrayList<>();
    /** An AMQP-like transport: 64-byte attributes, 2 KiB values, 8 KiB of headers, 64 KiB bodies. */
    private final FaultyTransport faulty = new FaultyTransport(broker.connect());
    private final AtomicInteger handled = new AtomicInteger();

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
        raws.forEach(Transport::close);
    }

    private MessageBus failingService() {
        MessageBus bus = MessageBus.builder("failing").transport(faulty).retryPolicy(RetryPolicy.none())
                .onEvent(Happened.class, (e, ctx) -> {
                    handled.incrementAndGet();
                    throw new IllegalStateException("handler fails: " + e.text());
                }).build();
        buses.add(bus);
        return bus.start();
    }

    /** Publishes as a foreign client would, straight to the broker (no limits checked on the way in). */
    private void foreign(Map<String, String> headers, String body) {
        Transport raw = broker.connect();
        raws.add(raw);
        raw.start(new TransportContext("foreign", "f" + raws.size(), Duration.ofSeconds(5)));
        Kit.join(raw.publish(Address.event("v1.dead.happened"), headers, Kit.json(body)), PATIENCE);
    }

    private DeadLetter awaitDeadLetter(MessageBus svc) {
        Await.until(PATIENCE, () -> !svc.deadLetters().list(5).isEmpty(), () -> "a dead letter should be stored;"
                + " refused: " + faulty.refusedDeadLetters.size() + ", delays asked: " + faulty.requestedDelays);
        return svc.deadLetters().list(5).get(0);
    }

    @Test
    void aDeadLetterWhoseHeadersWouldNotFitIsTrimmedAndStoredAtOnce() {
        faulty.limits = new Limits(64, 2048, 8192, 64 * 1024);
        MessageBus svc = failingService();
        Map<String, String> h = Kit.headersFor("v1.dead.happened", UUID.randomUUID().toString());
        for (String name : List.of("big1", "big2", "big3", "big4")) {
            h.put(name, name.repeat(475)); // 1900 bytes each: the message fits, its dead letter with diagnostics does not
        }
        foreign(h, "{\"text\":\"large headers\"}");
        DeadLetter dl = awaitDeadLetter(svc);
        assertEquals(List.of(), faulty.requestedDelays, "stored at the first try, nothing came back later");
        assertEquals(1, handled.get(), "the handler ran once");
        assertEquals(IllegalStateException.class.getName(), dl.errorType(), "the diagnostics survive the trimming");
        String note = dl.headers().get(Headers.DL_TRUNCATED);
        assertNotNull(note, "the dead letter says what was trimmed: " + dl.headers().keySet());
        assertTrue(note.contains(Headers.DL_STACK_TRACE), "the stack trace is cut to the value limit: " + note);
    }

    @Test
    void anIncomingIdOverTheLimitIsDeadLetteredUnderAnIdThatFits() {
        faulty.limits = new Limits(64, 2048, 8192, 64 * 1024);
        MessageBus svc = failingService();
        String longId = "id-" + "x".repeat(97);
        foreign(Kit.headersFor("v1.dead.happened", longId), "{\"text\":\"long id\"}");
        DeadLetter dl = awaitDeadLetter(svc);
        assertEquals(LimitExceededException.class.getName(), dl.errorType());
        assertEquals(0, handled.get(), "never handled");
        assertEquals(List.of(), faulty.requestedDelays, "stored at the first try, not looped");
        assertTrue(dl.messageId().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 64, dl.messageId());
        String note = dl.headers().get(Headers.DL_TRUNCATED);
        assertTrue(note != null && note.contains("id") && note.contains("100 bytes") && note.contains("id-xxx"),
                "the note keeps the original id's size and beginning: " + note);
    }

    @Test
    void whenTheChannelRefusesTheFullDeadLetterTheMinimalFormIsStoredAfterTheBound() {
        faulty.refuseDeadLetter = h -> h.containsKey("tenant"); // the minimal form drops original headers
        MessageBus svc = failingService();
        Map<String, String> h = Kit.headersFor("v1.dead.happened", UUID.randomUUID().toString());
        h.put("tenant", "acme");
        foreign(h, "{\"text\":\"refused\"}");
        DeadLetter dl = awaitDeadLetter(svc);
        assertEquals(List.of(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20)), faulty.requestedDelays,
                "three growing tries of the full form, then the minimal form");
        assertEquals(1, handled.get(), "coming back for another dead-letter try never runs the handler again");
        assertEquals(IllegalStateException.class.getName(), dl.errorType(), "the original reason is kept");
        assertEquals("handler fails: refused", dl.errorMessage());
        assertFalse(dl.headers().containsKey("tenant"));
        assertFalse(dl.headers().containsKey(Headers.DL_FAILURES), "counters do not stay on the dead letter");
        assertTrue(dl.headers().get(Headers.DL_TRUNCATED).contains("tenant"), dl.headers().get(Headers.DL_TRUNCATED));
        assertTrue(new String(dl.body(), java.nio.charset.StandardCharsets.UTF_8).contains("refused"), "the body is kept");
    }

    @Test
    void whenTheChannelRefusesEverythingTheMessageStaysWithTheBrokerAndTheHandlerIsNotRunAgain() {
        faulty.refuseDeadLetter = h -> true;
        faulty.shortenFirst = 7;
        try (LogCapture log = LogCapture.of("dev.courier")) {
            failingService();
            foreign(Kit.headersFor("v1.dead.happened", UUID.randomUUID().toString()), "{\"text\":\"nowhere\"}");
            Await.until(PATIENCE, () -> faulty.requestedDelays.size() == 8, () -> "delays asked: " + faulty.requestedDelays);
            assertEquals(List.of(5L, 10L, 20L, 40L, 80L, 160L, 300L, 300L),
                    faulty.requestedDelays.stream().map(Duration::toSeconds).toList(),
                    "the way back grows and is capped at 5 minutes");
            assertEquals(1, handled.get(), "the handler ran once");
            assertTrue(log.count(Level.ERROR, "refuses even the minimal dead letter") >= 1, log.dump());
        }
    }

    @Test
    void aRedeliveryThatCannotBeScheduledEndsInADeadLetter() {
        faulty.failRedeliverLater = true;
        MessageBus bus = MessageBus.builder("retrying").transport(faulty)
                .retryPolicy(RetryPolicy.custom().maxAttempts(1).redeliveryDelays(Duration.ofSeconds(1)).build())
                .onEvent(Happened.class, (e, ctx) -> {
                    handled.incrementAndGet();
                    throw new IllegalStateException("transient");
                }).build();
        buses.add(bus);
        bus.start();
        foreign(Kit.headersFor("v1.dead.happened", UUID.randomUUID().toString()), "{\"text\":\"no delays\"}");
        DeadLetter dl = awaitDeadLetter(bus);
        assertEquals(IllegalStateException.class.getName(), dl.errorType());
        assertTrue(dl.headers().get(Headers.DL_ERROR_MESSAGE).contains("transient"), dl.errorMessage());
        Await.stays(Duration.ofMillis(300), () -> handled.get() == 1,
                () -> "a failed redelivery must not loop the handler: ran " + handled.get() + " times");
    }
}
