package dev.courier;

import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The cheap pre-check in front of the exact limit check: it never lets a message through that the
 * exact check refuses, it builds no description for a message within its limits, and a message
 * that breaks a limit fails with the very same exception as before.
 */
class LimitCheckFastPathTest {

    private static final Limits TIGHT = new Limits(64, 1024, 4096, 100);

    @Test
    void aMessageWithinItsLimitsBuildsNoDescription() {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, Ids.random());
        h.put(Headers.TYPE, "v1.order.placed");
        h.put(Headers.TRACEPARENT, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        AtomicInteger described = new AtomicInteger();
        LimitCheck.check(Limits.DEFAULTS, () -> "msg " + described.incrementAndGet(), Collections.unmodifiableMap(h),
                new byte[190]);
        assertEquals(0, described.get());
    }

    @Test
    void aBrokenLimitFailsAsTheExactCheckDoes() {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, "é".repeat(40)); // 80 bytes in 40 chars: over the 64-byte attribute limit
        LimitExceededException exact = assertThrows(LimitExceededException.class,
                () -> LimitCheck.check(TIGHT, "the message", h, new byte[1]));
        LimitExceededException lazy = assertThrows(LimitExceededException.class,
                () -> LimitCheck.check(TIGHT, () -> "the message", h, new byte[1]));
        assertEquals(exact.getMessage(), lazy.getMessage());
        assertThrows(LimitExceededException.class, () -> LimitCheck.check(TIGHT, () -> "the body", Map.of(), new byte[101]));
    }

    @Test
    void theFastPathNeverPassesWhatTheExactCheckRefuses() {
        Random r = new Random(17);
        String[] pieces = {"a", "z9", "é", "€", "\uD83D\uDE00", "\uD800", "-"};
        String[] names = {Headers.ID, Headers.TYPE, Headers.SOURCE, "traceparent", "x1", "note", Headers.SUBJECT};
        int fitted = 0;
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            Map<String, String> h = new HashMap<>();
            int headers = r.nextInt(6);
            for (int k = 0; k < headers; k++) {
                StringBuilder v = new StringBuilder();
                int len = r.nextInt(r.nextBoolean() ? 30 : 700);
                while (v.length() < len) {
                    v.append(pieces[r.nextInt(pieces.length)]);
                }
                h.put(names[r.nextInt(names.length)], v.toString());
            }
            byte[] body = new byte[r.nextInt(120)];
            boolean exactPasses;
            try {
                LimitCheck.check(TIGHT, "m", h, body);
                exactPasses = true;
            } catch (LimitExceededException e) {
                exactPasses = false;
            }
            if (LimitCheck.fits(TIGHT, h, body)) {
                fitted++;
                assertTrue(exactPasses, () -> "the fast path let through what the exact check refuses: " + h);
            }
            if (!exactPasses) {
                refused++;
                assertFalse(LimitCheck.fits(TIGHT, h, body));
                try {
                    LimitCheck.check(TIGHT, () -> "m", h, body);
                    fail("the lazy check let through what the exact check refuses: " + h);
                } catch (LimitExceededException expected) {
                    // as before
                }
            } else {
                LimitCheck.check(TIGHT, () -> "m", h, body);
            }
        }
        assertTrue(fitted > 1000 && refused > 1000, "both outcomes exercised: " + fitted + " fitted, " + refused + " refused");
    }
}
