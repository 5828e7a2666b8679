package dev.courier.spi;

import dev.courier.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared reconnect backoff, with an injected clock and injected randomness. */
class BackoffTest {

    /** A clock that moves only when the test says so. */
    static final class TestClock extends Clock {
        long millis = 1_000_000;

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        void advance(Duration d) {
            millis += d.toMillis();
        }
    }

    private final TestClock clock = new TestClock();

    private static List<Long> next(Backoff b, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(b.nextDelay().toMillis());
        }
        return out;
    }

    @Test
    void growsExponentiallyUpToTheCap() {
        Backoff b = Backoff.custom().initialDelay(Duration.ofMillis(100)).multiplier(2).maxDelay(Duration.ofSeconds(2))
                .jitter(0).clock(clock).build();
        assertEquals(List.of(100L, 200L, 400L, 800L, 1600L, 2000L, 2000L), next(b, 7));
        assertEquals(7, b.failures());
    }

    @Test
    void jitterLowersEachDelayByUpToItsShareAndStaysInForceAtTheCap() {
        double[] r = {0.0};
        Backoff b = Backoff.custom().initialDelay(Duration.ofMillis(1000)).multiplier(2).maxDelay(Duration.ofSeconds(4))
                .jitter(0.5).clock(clock).random(() -> r[0]).build();
        assertEquals(1000, b.nextDelay().toMillis(), "random 0: the full base");
        r[0] = 0.999;
        assertEquals(1001, b.nextDelay().toMillis(), "random ~1: half of 2000 off");
        r[0] = 0.5;
        assertEquals(3000, b.nextDelay().toMillis(), "base 4000 (the cap), a quarter off");
        r[0] = 0.25;
        assertEquals(3500, b.nextDelay().toMillis(), "still jittered at the cap, never above it");
    }

    @Test
    void realRandomnessSpreadsDelaysWithinTheirBounds() {
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Backoff b = Backoff.custom().initialDelay(Duration.ofMillis(1000)).jitter(0.5).clock(clock).build();
            long d = b.nextDelay().toMillis();
            assertTrue(d > 500 && d <= 1000, "in (500, 1000]: " + d);
            seen.add(d);
        }
        assertTrue(seen.size() > 50, "200 clients do not reconnect in step: " + seen.size() + " distinct delays");
    }

    @Test
    void aConnectionThatDropsAtOnceDoesNotResetTheCount() {
        Backoff b = Backoff.custom().initialDelay(Duration.ofMillis(100)).jitter(0).stableAfter(Duration.ofSeconds(30))
                .clock(clock).build();
        assertEquals(100, b.nextDelay().toMillis());
        b.connected();
        clock.advance(Duration.ofSeconds(1)); // up for a second, then lost
        assertEquals(200, b.nextDelay().toMillis(), "keeps growing");
        b.connected();
        clock.advance(Duration.ofMillis(29_999));
        assertEquals(400, b.nextDelay().toMillis(), "just short of stable");
    }

    @Test
    void aStableConnectionResetsTheCount() {
        Backoff b = Backoff.custom().initialDelay(Duration.ofMillis(100)).jitter(0).stableAfter(Duration.ofSeconds(30))
                .clock(clock).build();
        next(b, 5);
        b.connected();
        clock.advance(Duration.ofSeconds(30));
        assertEquals(100, b.nextDelay().toMillis(), "starts again after 30 s up");
        assertEquals(1, b.failures());
    }

    @Test
    void defaultsAndEveryBadSettingNamed() {
        Backoff d = Backoff.ofDefaults();
        long first = d.nextDelay().toMillis();
        assertTrue(first > 50 && first <= 100, "default first delay in (50, 100]: " + first);
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Backoff.custom()
                .initialDelay(Duration.ZERO).multiplier(0.5).jitter(1.5).stableAfter(Duration.ofSeconds(-1)).build());
        for (String setting : List.of("initialDelay", "multiplier", "jitter", "stableAfter")) {
            assertTrue(e.getMessage().contains("backoff." + setting), setting + ": " + e.getMessage());
        }
    }
}
