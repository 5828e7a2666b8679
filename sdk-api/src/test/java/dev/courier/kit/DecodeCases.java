package dev.courier.kit;

import dev.courier.CodecException;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What the bus makes of a foreign message it cannot read: a body that is JSON {@code null}, JSON
 * followed by garbage, or a CloudEvents major version it does not know goes to the dead letter at
 * once, with the reason and without running the handler, and so does one that breaks a size limit
 * ({@link Limits}); a {@code courierdeadline} matters only on a request.
 */
public interface DecodeCases extends KitHarness {

    /** Publishes a crafted Pinged with {@code headers} and {@code body}; false when the transport refuses to carry it. */
    private boolean craft(Map<String, String> headers, byte[] body) {
        Transport t = raw();
        CompletableFuture<Void> f = t.publish(Address.event("v1.kit.pinged"), headers, body);
        try {
            f.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private DeadLetter onlyDeadLetter(MessageBus svc, String id) {
        Await.until(patience(), () -> svc.deadLetters().list(10).stream().anyMatch(d -> id.equals(d.messageId())),
                () -> "message " + id + " should be dead-lettered; dead letters: " + svc.deadLetters().list(10));
        return svc.deadLetters().list(10).stream().filter(d -> id.equals(d.messageId())).findFirst().orElseThrow();
    }

    /**
     * Checks that a body of JSON {@code null} is dead-lettered at once, without retries.
     *
     */
    @KitCase
    default void aJsonNullBodyIsDeadLetteredAtOnce() {
        List<Object> handled = new CopyOnWriteArrayList<>();
        MessageBus svc = start(bus("nulls").onEvent(Pinged.class, (e, ctx) -> handled.add(String.valueOf(e))));
        String id = UUID.randomUUID().toString();
        assertTrue(craft(headersFor("v1.kit.pinged", id), json("null")), "the transport should carry the body 'null'");
        DeadLetter dl = onlyDeadLetter(svc, id);
        assertEquals(CodecException.class.getName(), dl.errorType(), "a null message is undecodable: " + dl.errorMessage());
        assertEquals(0, dl.attempts(), "no handler attempt for a null message");
        assertEquals(List.of(), handled, "the handler never sees a null message — check that decode refuses JSON null");
    }

    /**
     * Checks that a body with bytes after its JSON value is dead-lettered at once, not decoded leniently.
     *
     */
    @KitCase
    default void trailingGarbageAfterTheJsonValueIsDeadLetteredAtOnce() {
        List<Object> handled = new CopyOnWriteArrayList<>();
        MessageBus svc = start(bus("trailing").onEvent(Pinged.class, (e, ctx) -> handled.add(e)));
        String id = UUID.randomUUID().toString();
        assumeTrue(craft(headersFor("v1.kit.pinged", id), json("{\"n\":1,\"text\":\"t\"} and then garbage")),
                "the transport refuses to carry a body that is not one JSON value, so such a body cannot arrive");
        DeadLetter dl = onlyDeadLetter(svc, id);
        assertEquals(CodecException.class.getName(), dl.errorType(), dl.errorMessage());
        assertEquals(0, dl.attempts());
        assertEquals(List.of(), handled, "JSON followed by garbage must not be handled — check FAIL_ON_TRAILING_TOKENS");
    }

    /**
     * Checks that a message with an unknown CloudEvents {@code specversion} is dead-lettered with the reason.
     *
     */
    @KitCase
    default void anUnknownSpecVersionIsDeadLetteredWithTheReason() {
        List<Object> handled = new CopyOnWriteArrayList<>();
        MessageBus svc = start(bus("versions").onEvent(Pinged.class, (e, ctx) -> handled.add(e)));
        String id = UUID.randomUUID().toString();
        Map<String, String> h = headersFor("v1.kit.pinged", id);
        h.put(Headers.SPECVERSION, "2.0");
        assertTrue(craft(h, json("{\"n\":2,\"text\":\"v2\"}")), "the transport should carry specversion 2.0");
        DeadLetter dl = onlyDeadLetter(svc, id);
        assertEquals(CodecException.class.getName(), dl.errorType());
        assertTrue(dl.errorMessage().contains("specversion") && dl.errorMessage().contains("2.0"),
                "the reason names the attribute and the version: " + dl.errorMessage());
        assertEquals(List.of(), handled, "a CloudEvents major version the bus cannot read is never handled");
    }

    /**
     * Checks that a foreign message whose id breaks the transport's limits goes to the dead letter once, never into a redelivery loop.
     *
     */
    @KitCase
    default void aForeignMessageWhoseIdBreaksTheLimitIsDeadLetteredNotLooped() {
        List<Object> handled = new CopyOnWriteArrayList<>();
        MessageBus svc = start(bus("longids").onEvent(Pinged.class, (e, ctx) -> handled.add(e)));
        Limits limits = Limits.DEFAULTS.min(raw().limits());
        String id = "i".repeat(limits.maxAttributeBytes() + 1);
        assumeTrue(craft(headersFor("v1.kit.pinged", id), json("{\"n\":4,\"text\":\"long id\"}")),
                "the transport refuses ids over its limit at publish, so such a message cannot arrive");
        Await.until(patience(), () -> !svc.deadLetters().list(10).isEmpty(),
                () -> "a message whose id breaks maxAttributeBytes should be dead-lettered at once");
        Await.stays(Duration.ofMillis(500), () -> svc.deadLetters().list(10).size() == 1,
                () -> "exactly one dead letter, the message is not looped: " + svc.deadLetters().list(10));
        DeadLetter dl = svc.deadLetters().list(10).get(0);
        assertEquals(dev.courier.LimitExceededException.class.getName(), dl.errorType(), dl.errorMessage());
        assertTrue(dl.errorMessage().contains("'id'") && dl.errorMessage().contains("maxAttributeBytes"), dl.errorMessage());
        assertEquals(0, dl.attempts());
        assertEquals(List.of(), handled, "the handler never runs for a message over a limit");
    }

    /**
     * Checks that a deadline header on a message that is not a request neither drops nor dead-letters it: it is handled.
     *
     */
    @KitCase
    default void aDeadlineOnAMessageThatIsNotARequestIsIgnored() {
        List<Integer> handled = new CopyOnWriteArrayList<>();
        start(bus("deadlines").onEvent(Pinged.class, (e, ctx) -> handled.add(e.n())));
        Map<String, String> h = headersFor("v1.kit.pinged", UUID.randomUUID().toString());
        h.put(Headers.DEADLINE, "1"); // long past, but nobody waits for a reply
        assertTrue(craft(h, json("{\"n\":3,\"text\":\"late\"}")), "the transport should carry the message");
        Await.until(patience(), () -> handled.equals(List.of(3)), () -> "an event with a past courierdeadline is still"
                + " handled (a deadline is the requester's, and an event has none); handled " + handled);
        Await.stays(Duration.ofMillis(300), () -> handled.size() == 1, () -> "handled once: " + handled);
    }
}
