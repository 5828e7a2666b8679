package dev.courier.kit;

import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.BlobStored;
import dev.courier.kit.KitMessages.Ping;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.kit.KitMessages.Pong;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * W3C trace context across hops (issue 15): every message a bus makes carries a {@code traceparent}
 * with the trace id and flags of the message being handled and a new parent id of its own, and
 * the handled message's {@code tracestate}; a root message starts a new trace. If a case fails on a
 * transport, check that {@code traceparent} and {@code tracestate} travel as headers unchanged.
 */
public interface TraceContextCases extends KitHarness {

    /** Version 00: trace id 32 hex, parent id 16 hex, flags 2 hex, lower case. */
    Pattern TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})");

    /**
     * Checks that a request, the event its handler publishes and the next event form one trace, with a new parent id per hop.
     *
     */
    @KitCase
    default void aRequestEventEventChainIsOneTraceWithANewParentIdPerHop() {
        Map<String, Envelope> seen = new ConcurrentHashMap<>();
        start(bus("tcone").onCommand(Ping.class, (p, ctx) -> {
            seen.put("request", ctx.envelope());
            ctx.reply(new Pong(p.n()));
            ctx.publish(new Pinged(p.n(), "first event"));
        }));
        start(bus("tctwo").onEvent(Pinged.class, (e, ctx) -> {
            seen.put("event1", ctx.envelope());
            ctx.publish(new BlobStored("second event"));
        }));
        start(bus("tcthree").onEvent(BlobStored.class, (e, ctx) -> seen.put("event2", ctx.envelope())));
        MessageBus client = start(bus("tcclient"));
        // a request from a plain thread, no trace context anywhere: Courier starts the trace
        join(client.request(new Ping(1), Pong.class, patience()), patience());
        Await.until(patience(), () -> seen.containsKey("event2"), () -> "the chain should reach the last service, saw "
                + seen.keySet());
        List<String> hops = List.of("request", "event1", "event2");
        String traceId = null;
        for (String hop : hops) {
            String tp = seen.get(hop).header(Headers.TRACEPARENT);
            assertTrue(tp != null && TRACEPARENT.matcher(tp).matches(), hop + " should carry a valid W3C traceparent, got '"
                    + tp + "' — check that the transport carries the traceparent header unchanged");
            assertNotEquals("00000000000000000000000000000000", tp.substring(3, 35), "trace id all zeros");
            assertNotEquals("0000000000000000", tp.substring(36, 52), "parent id all zeros");
            if (traceId == null) {
                traceId = tp.substring(3, 35);
            }
            assertEquals(traceId, tp.substring(3, 35), hop + ": every hop of one conversation is one trace");
            assertEquals("01", tp.substring(53), hop + ": a trace Courier starts is sampled, and the flag is kept");
        }
        Set<String> parents = Set.of(seen.get("request").header(Headers.TRACEPARENT).substring(36, 52),
                seen.get("event1").header(Headers.TRACEPARENT).substring(36, 52),
                seen.get("event2").header(Headers.TRACEPARENT).substring(36, 52));
        assertEquals(3, parents.size(), "each hop names a parent id of its own (a copied traceparent makes every hop"
                + " claim the same parent): " + parents);
    }

    /**
     * Checks that a valid W3C {@code traceparent} from a foreign producer is continued, with its flags and {@code tracestate}.
     *
     */
    @KitCase
    default void aForeignTraceIsContinuedWithItsFlagsAndTracestate() {
        Map<String, Envelope> seen = new ConcurrentHashMap<>();
        start(bus("tcfirst").onCommand(Ping.class, (p, ctx) -> {
            seen.put("first", ctx.envelope());
            ctx.publish(new Pinged(p.n(), "continued"));
        }));
        start(bus("tcsecond").onEvent(Pinged.class, (e, ctx) -> seen.put("second", ctx.envelope())));
        Transport t = raw();
        String root = UUID.randomUUID().toString();
        Map<String, String> h = headersFor("v1.kit.ping", root);
        String foreign = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        h.put(Headers.TRACEPARENT, foreign);
        h.put(Headers.TRACESTATE, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
        join(t.publish(Address.command("v1.kit.ping"), h, json("{\"n\":5}")), patience());
        Await.until(patience(), () -> seen.containsKey("second"), () -> "the event should arrive, saw " + seen.keySet());
        assertEquals(foreign, seen.get("first").header(Headers.TRACEPARENT), "the received traceparent arrives as sent");
        String next = seen.get("second").header(Headers.TRACEPARENT);
        assertTrue(next != null && TRACEPARENT.matcher(next).matches(), "a valid traceparent, got " + next);
        assertEquals("0af7651916cd43dd8448eb211c80319c", next.substring(3, 35), "the trace id is kept");
        assertNotEquals("b7ad6b7169203331", next.substring(36, 52), "a new parent id for the new hop");
        assertEquals("00", next.substring(53), "an unsampled trace stays unsampled");
        assertEquals("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", seen.get("second").header(Headers.TRACESTATE),
                "tracestate is kept");
    }

    /**
     * Checks that an invalid {@code traceparent} starts a new trace and drops the foreign {@code tracestate}.
     *
     */
    @KitCase
    default void anInvalidTraceparentStartsANewTraceWithoutItsTracestate() {
        Map<String, Envelope> seen = new ConcurrentHashMap<>();
        start(bus("tcfix").onCommand(Ping.class, (p, ctx) -> ctx.publish(new Pinged(p.n(), "fresh"))));
        start(bus("tcafter").onEvent(Pinged.class, (e, ctx) -> seen.put("after", ctx.envelope())));
        Transport t = raw();
        Map<String, String> h = headersFor("v1.kit.ping", UUID.randomUUID().toString());
        h.put(Headers.TRACEPARENT, "00-00000000000000000000000000000000-b7ad6b7169203331-01");
        h.put(Headers.TRACESTATE, "congo=t61rcWkgMzE");
        join(t.publish(Address.command("v1.kit.ping"), h, json("{\"n\":6}")), patience());
        Await.until(patience(), () -> seen.containsKey("after"), () -> "the event should arrive");
        String next = seen.get("after").header(Headers.TRACEPARENT);
        assertTrue(next != null && TRACEPARENT.matcher(next).matches(), "a valid traceparent, got " + next);
        assertNotEquals("00000000000000000000000000000000", next.substring(3, 35), "a new trace, not the invalid one");
        assertNull(seen.get("after").header(Headers.TRACESTATE), "the tracestate of an invalid traceparent is dropped");
    }
}
