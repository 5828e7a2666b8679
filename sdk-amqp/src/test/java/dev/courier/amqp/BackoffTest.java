package dev.courier.amqp;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The reconnect pauses, on an injected clock: growing, jittered, capped with jitter, reset only when stable. */
class BackoffTest {
    private final AtomicLong now = new AtomicLong();
    private final Backoff backoff = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(30), now::get);

    @Test
    void pausesDoubleFrom100MillisEachRandomisedByHalf() {
        for (int round = 0; round < 200; round++) {
            Backoff b = new Backoff(Duration.ofSeconds(5), Duration.ofSeconds(30), now::get);
            for (int attempt = 1; attempt <= 5; attempt++) {
                long base = 100L << (attempt - 1);
                long d = b.next();
                assertTrue(d >= base / 2 && d <= base * 3 / 2, "attempt " + attempt + ": " + d + " ms around " + base);
            }
        }
    }

    @Test
    void atTheCapPausesStayJitteredBetweenHalfAndAllOfIt() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            backoff.next();
        }
        for (int i = 0; i < 200; i++) {
            long d = backoff.next();
            assertTrue(d >= 2_500 && d <= 5_000, d + " ms");
            seen.add(d);
        }
        assertTrue(seen.size() > 50, "clients that lost the broker together must not come back in step: " + seen.size()
                + " distinct pauses");
    }

    @Test
    void aConnectionThatDropsSoonDoesNotStartThePausesOver() {
        for (int i = 0; i < 4; i++) {
            backoff.next();
        }
        backoff.connected();
        now.addAndGet(Duration.ofSeconds(29).toNanos());
        backoff.lost();
        assertEquals(4, backoff.attempts(), "up for 29 s is not stable");
        long d = backoff.next();
        assertTrue(d >= 800, "the fifth pause keeps growing: " + d);
    }

    @Test
    void aConnectionThatStayedUpStartsThePausesOver() {
        for (int i = 0; i < 4; i++) {
            backoff.next();
        }
        backoff.connected();
        now.addAndGet(Duration.ofSeconds(30).toNanos());
        backoff.lost();
        assertEquals(0, backoff.attempts());
        assertTrue(backoff.next() <= 150);
    }
}
