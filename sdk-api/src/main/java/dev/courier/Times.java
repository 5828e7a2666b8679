package dev.courier;

import java.time.Clock;
import java.time.Instant;

/** ISO-8601 UTC timestamps with millisecond precision, formatted cheaply (the seconds prefix is cached). Internal. */
final class Times {
    private static final ThreadLocal<Object[]> CACHE = ThreadLocal.withInitial(() -> new Object[] {-1L, ""});

    private Times() {
    }

    static String now(Clock clock) {
        return format(clock.millis());
    }

    static String format(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        int millis = (int) Math.floorMod(epochMillis, 1000);
        Object[] c = CACHE.get();
        String prefix;
        if ((Long) c[0] == second) {
            prefix = (String) c[1];
        } else {
            String full = Instant.ofEpochSecond(second).toString(); // e.g. 2026-11-23T16:12:01Z
            prefix = full.substring(0, full.length() - 1) + '.';
            c[0] = second;
            c[1] = prefix;
        }
        char[] ms = {(char) ('0' + millis / 100), (char) ('0' + millis / 10 % 10), (char) ('0' + millis % 10), 'Z'};
        return prefix.concat(new String(ms));
    }
}
