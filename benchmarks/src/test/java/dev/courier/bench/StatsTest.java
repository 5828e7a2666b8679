package dev.courier.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StatsTest {

    /** A soak records far more samples than any pre-sized buffer; the slow tail at the end must count. */
    @Test
    void keepsEverySampleAndTheLateTail() {
        Stats stats = new Stats();
        for (int i = 0; i < 99_000; i++) {
            stats.add(100_000); // 100 us
        }
        for (int i = 0; i < 1_000; i++) {
            stats.add(50_000_000); // 50 ms, late in the run
        }
        assertEquals(100_000, stats.count());
        assertEquals(100, stats.percentileMicros(50), 1);
        assertEquals(100, stats.percentileMicros(99), 1);
        assertEquals(50_000, stats.percentileMicros(99.9), 50);
        assertEquals(50_000, stats.maxMicros(), 50);
    }

    @Test
    void percentilesAreWithinThreeSignificantDigits() {
        Stats stats = new Stats();
        for (int us = 1; us <= 10_000; us++) {
            stats.add(us * 1_000L);
        }
        assertEquals(5_000, stats.percentileMicros(50), 5);
        assertEquals(9_900, stats.percentileMicros(99), 10);
        assertEquals(9_990, stats.percentileMicros(99.9), 10);
    }

    @Test
    void emptyIsNaNAndNegativeClampsToZero() {
        Stats stats = new Stats();
        assertTrue(Double.isNaN(stats.percentileMicros(50)));
        stats.add(-5);
        assertEquals(0, stats.percentileMicros(50), 0.001);
    }
}
