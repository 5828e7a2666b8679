package dev.courier.websocket.hub;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Grant patterns: {@code *} matches any run of characters; matching takes time linear in the name. */
class GlobTest {

    @Test
    void frameAddressesAndWildcards() {
        assertEquals("event:v1.a.b@svc", HubSession.parseAddress("event:v1.a.b@svc").toString());
        assertEquals("dead_letter:svc", HubSession.parseAddress("dead_letter:svc").toString());
        assertEquals(null, HubSession.parseAddress("queue:x"));
        assertEquals(null, HubSession.parseAddress("event:"));
        assertTrue(Glob.matches("v1.order.*", "v1.order.placed"));
        assertTrue(Glob.matches("*", "anything"));
        assertTrue(Glob.matches("v1.*.placed", "v1.order.placed"));
        assertFalse(Glob.matches("v1.order.*", "v1.payment.captured"));
        assertFalse(Glob.matches("v1.order.place", "v1.order.placed"));
    }

    @Test
    void starsMatchAnyRunAndEverythingElseMatchesItself() {
        assertTrue(Glob.matches("*", ""));
        assertTrue(Glob.matches("*", "v1.order.placed"));
        assertTrue(Glob.matches("v1.order.*", "v1.order.placed"));
        assertTrue(Glob.matches("v1.order.*", "v1.order."));
        assertFalse(Glob.matches("v1.order.*", "v1.order"));
        assertTrue(Glob.matches("v1.*.placed", "v1.order.item.placed"));
        assertFalse(Glob.matches("v1.*.placed", "v1.order.placedx"));
        assertTrue(Glob.matches("*a*a*b", "xaxaxb"));
        assertTrue(Glob.matches("*a*a*b", "aab"));
        assertFalse(Glob.matches("*a*a*b", "ab"));
        assertTrue(Glob.matches("a**b", "ab"));
        assertTrue(Glob.matches("ab*ab", "abab"));
        assertFalse(Glob.matches("ab*ab", "aba"));
        assertTrue(Glob.matches("*ab*ab*", "xxabyyabzz"));
        assertTrue(Glob.matches("a*b*c", "abbbcbc"));
        assertFalse(Glob.matches("a*b*c", "abbbcbd"));
        assertTrue(Glob.matches("exact", "exact"));
        assertFalse(Glob.matches("exact", "exactly"));
        assertFalse(Glob.matches("", "x"));
        assertTrue(Glob.matches("", ""));
    }

    /** Issue 10.7: the backtracking matcher took 39.5 s for this pattern on a 4,000-character subject. */
    @Test
    void aHostileSubjectIsMatchedInBoundedTime() {
        String hostile = "a".repeat(20_000);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 100; i++) {
                assertFalse(Glob.matches("*a*a*b", hostile));
                assertFalse(Glob.matches("*a*a*a*a*a*a*a*a*b", hostile));
                assertTrue(Glob.matches("*a*a*a", hostile));
            }
        }, "matching '*a*a*b' against 20,000 characters 100 times must take far less than 2 s — check that Glob"
                + " does not backtrack");
    }
}
