package dev.courier.kit;

import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.kit.KitMessages.Hop;
import dev.courier.kit.KitMessages.Ping;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.kit.KitMessages.Pong;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.courier.kit.Kit.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Ids of the messages a handler produces: deterministic for a re-run of the same handler, never
 * shared by two different emissions, and a request made inside a handler can succeed on a retry.
 */
public interface IdCases extends KitHarness {

    /** What the two emitting services of {@link #emissionsOfTwoServicesFromOneEventNeverCollide} publish. */
    @MessageName("v1.kit.echo.emitted")
    record EchoEmitted(String from, int n) implements Event {
    }

    /**
     * Checks that the messages two services emit while handling the same event get distinct ids, so receivers' deduplication never drops one.
     *
     */
    @KitCase
    default void emissionsOfTwoServicesFromOneEventNeverCollide() {
        for (String svc : List.of("left", "right")) {
            start(bus(svc).produces(EchoEmitted.class).onEvent(Pinged.class, (e, ctx) -> {
                ctx.publish(new EchoEmitted(svc, e.n()));
                ctx.publish(new EchoEmitted(svc, -e.n()));
            }));
        }
        Map<String, String> idsSeen = new ConcurrentHashMap<>();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        start(bus("sink").onEvent(EchoEmitted.class, (e, ctx) -> {
            handled.add(e.from() + ":" + e.n());
            if (idsSeen.put(ctx.messageId(), e.from() + ":" + e.n()) != null) {
                duplicates.incrementAndGet();
            }
        }));
        MessageBus pub = start(bus("pub"));
        for (int i = 1; i <= 3; i++) {
            join(pub.publish(new Pinged(i, "echo")), patience());
        }
        Await.until(patience(), () -> handled.size() == 12, () -> "the sink should handle all 12 distinct events"
                + " (2 services x 3 events x 2 emissions), got " + handled.size() + ": " + handled + " — check that"
                + " derived ids include the emitting service, not only the handled id and the position");
        Await.stays(Duration.ofMillis(300), () -> handled.size() == 12 && duplicates.get() == 0,
                () -> "no emission may reuse another's id: " + idsSeen);
        assertEquals(12, idsSeen.size(), "12 distinct ids: " + idsSeen);
    }

    /**
     * Checks that a request made inside a handler still gets its reply when the handler runs again (a retry derives the same ids).
     *
     */
    @KitCase
    default void aRequestMadeInAHandlerGetsItsReplyOnARetry() {
        start(bus("answerer").onCommand(Ping.class, (p, ctx) -> ctx.reply(new Pong(p.n() + 1))));
        List<Integer> replies = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        MessageBus asker = start(bus("asker").onCommand(Hop.class, (h, ctx) -> {
            Pong pong = ctx.request(new Ping(h.step()), Pong.class, Duration.ofSeconds(3)).join();
            replies.add(pong.n());
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("fails once, after its request was answered");
            }
        }));
        MessageBus client = start(bus("client"));
        join(client.send(new Hop(41)), patience());
        Await.until(patience(), () -> replies.size() == 2 || !asker.deadLetters().list(1).isEmpty(),
                () -> "the second attempt should get its reply; replies " + replies + ", attempts " + attempts);
        assertEquals(List.of(42, 42), replies, "each attempt's request is answered; attempts made: " + attempts
                + " — check that a retried handler's request is not suppressed as a duplicate by the responder");
    }
}
