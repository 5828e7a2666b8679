package dev.courier;

import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.DeduplicationStore;
import dev.courier.spi.Headers;
import dev.courier.testing.FaultyTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A message whose id the deduplication store cannot claim comes back a bounded number of times, then is dead-lettered. */
class ClaimFailureTest {

    @MessageName("v1.claim.happened")
    record Happened(int n) implements Event {
    }

    /** A store that cannot keep some ids (like a VARCHAR(255) inbox and a 300-character id). */
    static final class FailingStore implements DeduplicationStore {
        final DeduplicationStore delegate = InMemoryDeduplicationStore.ofDefaults();
        final AtomicInteger claims = new AtomicInteger();

        @Override
        public Claim claim(String service, String messageId, Duration lease) {
            claims.incrementAndGet();
            throw new IllegalStateException("value too long for type character varying(255)");
        }

        @Override
        public void complete(String service, String messageId) {
            delegate.complete(service, messageId);
        }

        @Override
        public void release(String service, String messageId) {
            delegate.release(service, messageId);
        }
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final InMemoryBroker broker = InMemoryBroker.named("claims-" + UUID.randomUUID());
    private final FaultyTransport faulty = new FaultyTransport(broker.connect());
    private final FailingStore store = new FailingStore();
    private final AtomicInteger handled = new AtomicInteger();
    private final List<MessageBus> buses = new ArrayList<>();

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    private MessageBus service() {
        return start(MessageBus.builder("inbox").transport(faulty).deduplicationStore(store)
                .onEvent(Happened.class, (e, ctx) -> handled.incrementAndGet()));
    }

    private void publishOne() {
        start(MessageBus.builder("pub").transport(broker.connect()).produces(Happened.class)).publish(new Happened(1)).join();
    }

    @Test
    void aClaimThatKeepsFailingEndsInADeadLetterWithTheReason() {
        MessageBus svc = service();
        publishOne();
        Await.until(PATIENCE, () -> !svc.deadLetters().list(1).isEmpty(), () -> "the message should be dead-lettered after a"
                + " bounded number of failed claims; delays asked: " + faulty.requestedDelays);
        DeadLetter dl = svc.deadLetters().list(1).get(0);
        assertEquals(List.of(1L, 2L, 4L, 8L, 16L), faulty.requestedDelays.stream().map(Duration::toSeconds).toList(),
                "five growing tries");
        assertEquals(6, store.claims.get(), "the first claim and five more");
        assertTrue(dl.errorMessage().contains("could not claim") && dl.errorMessage().contains("character varying(255)"),
                "the reason names the store's failure: " + dl.errorMessage());
        assertEquals(0, handled.get(), "a message that cannot be claimed is never handled");
        assertTrue(!dl.headers().containsKey(Headers.CLAIM_FAILURES), "counters do not stay on the dead letter");
    }

    @Test
    void aFailedClaimWhoseRedeliveryCannotBeScheduledIsDeadLetteredAtOnce() {
        faulty.failRedeliverLater = true;
        MessageBus svc = service();
        publishOne();
        Await.until(PATIENCE, () -> !svc.deadLetters().list(1).isEmpty(),
                () -> "a failed redeliverLater must not leave the message unsettled or looping; claims " + store.claims);
        Await.stays(Duration.ofMillis(300), () -> store.claims.get() == 1, () -> "claimed once, not looped: " + store.claims);
        assertEquals(0, handled.get());
    }
}
