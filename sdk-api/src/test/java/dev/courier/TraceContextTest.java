package dev.courier;

import dev.courier.spi.Headers;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The W3C traceparent rules Courier applies without a tracer. */
class TraceContextTest {
    private static final String VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    private static Envelope parent(String traceparent, String tracestate) {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, "p");
        if (traceparent != null) {
            h.put(Headers.TRACEPARENT, traceparent);
        }
        if (tracestate != null) {
            h.put(Headers.TRACESTATE, tracestate);
        }
        return Decoder.envelope(h);
    }

    @Test
    void validatesByTheRecommendation() {
        assertTrue(TraceContext.isValid(VALID));
        assertTrue(TraceContext.isValid("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future"),
                "a later version may append fields after a dash");
        assertFalse(TraceContext.isValid("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "version ff");
        assertFalse(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"), "00 has no more fields");
        assertFalse(TraceContext.isValid("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"), "upper case");
        assertFalse(TraceContext.isValid("00-00000000000000000000000000000000-00f067aa0ba902b7-01"), "zero trace id");
        assertFalse(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"), "zero parent id");
        assertFalse(TraceContext.isValid("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7"), "short");
        assertFalse(TraceContext.isValid("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), "separator");
    }

    @Test
    void aChildKeepsTraceIdFlagsAndStateWithANewParentId() {
        Set<String> parents = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Map<String, String> h = new HashMap<>();
            TraceContext.next(h, parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "a=1"));
            String tp = h.get(Headers.TRACEPARENT);
            assertTrue(TraceContext.isValid(tp), tp);
            assertTrue(tp.startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-") && tp.endsWith("-00"), tp);
            assertNotEquals("00f067aa0ba902b7", tp.substring(36, 52));
            assertEquals("a=1", h.get(Headers.TRACESTATE));
            parents.add(tp.substring(36, 52));
        }
        assertEquals(1000, parents.size(), "random parent ids");
    }

    @Test
    void aRootOrAnInvalidParentStartsASampledTraceAndAUserTraceparentIsKept() {
        Map<String, String> root = new HashMap<>();
        TraceContext.next(root, null);
        assertTrue(TraceContext.isValid(root.get(Headers.TRACEPARENT)) && root.get(Headers.TRACEPARENT).endsWith("-01"));
        Map<String, String> fresh = new HashMap<>();
        TraceContext.next(fresh, parent("garbage", "a=1"));
        assertTrue(TraceContext.isValid(fresh.get(Headers.TRACEPARENT)));
        assertNull(fresh.get(Headers.TRACESTATE), "the state of an invalid parent is dropped");
        Map<String, String> own = new HashMap<>(Map.of(Headers.TRACEPARENT, VALID));
        TraceContext.next(own, parent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null));
        assertEquals(VALID, own.get(Headers.TRACEPARENT), "a traceparent the user set is kept");
    }

    /** A root message's traceparent: version 00, a new trace id and parent id, flags 01, valid, never repeated. */
    @Test
    void aRootGetsAFreshValidTraceparent() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            Map<String, String> h = new HashMap<>();
            TraceContext.next(h, null);
            String tp = h.get(Headers.TRACEPARENT);
            assertEquals(55, tp.length(), tp);
            assertTrue(TraceContext.isValid(tp), tp);
            assertTrue(tp.startsWith("00-") && tp.endsWith("-" + TraceContext.NEW_TRACE_FLAGS), tp);
            assertTrue(seen.add(tp.substring(3, 35)), "a new trace id each time");
        }
    }
}
