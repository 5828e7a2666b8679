package dev.courier.jdbc;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relay's retry delays grow, stay bounded and stay spread out, also at the cap. */
class RelayBackoffTest {

    @Test
    void delaysDoubleWithinTheUpperHalfAndNeverPassTheMaximum() {
        RelayBackoff b = new RelayBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1));
        long[] ceiling = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
        for (int attempt = 1; attempt <= ceiling.length + 100; attempt++) {
            long top = ceiling[Math.min(attempt, ceiling.length) - 1];
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < 2000; i++) {
                long d = b.delayMillis(attempt);
                assertTrue(d >= top / 2 && d <= top, "attempt " + attempt + ": " + d + " outside [" + top / 2 + ", " + top + "]");
                seen.add(d);
            }
            assertTrue(seen.size() > 100, "attempt " + attempt + " is not jittered: " + seen.size() + " distinct delays");
        }
    }

    @Test
    void storableErrorTextHasNoNulNoUnpairedSurrogateAndAtMostAThousandCharacters() {
        assertEquals("a?b?c", RelayBatch.storable("a\u0000b\uD800c"));
        assertEquals(1000, RelayBatch.storable("x".repeat(5000)).length());
        String emoji = "\uD83D\uDE00".repeat(600);
        String cut = RelayBatch.storable(emoji);
        assertEquals(1000, cut.length());
        assertTrue(StoredId.isPlainText(cut), "never cut between the two halves of a pair");
    }
}
