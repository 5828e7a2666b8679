package dev.courier.jdbc;

import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The relay's delay before a failed row's next attempt: resilience4j's exponential backoff
 * (doubling from the initial delay, capped at the maximum) with "equal jitter" — a delay drawn
 * uniformly from the upper half, {@code [d/2, d]}. Rows (and relays) that failed together come
 * back spread over a window instead of at once, and no delay ever exceeds the maximum.
 *
 * <p>Not {@code IntervalFunction.ofExponentialRandomBackoff(initial, 2, 0.5, max)}: it caps after
 * randomising, so once the delay reaches the cap every row gets exactly the cap again (measured
 * with resilience4j 2.4.0: 1 s doubling to 60 s gives 60,000 ms in 10,000 of 10,000 draws from the
 * 8th attempt on), and the stampede the jitter should prevent comes back. Internal.
 */
final class RelayBackoff {
    private final IntervalFunction growth;
    private final Duration max;

    RelayBackoff(Duration initial, Duration max) {
        this.growth = IntervalFunction.ofExponentialBackoff(initial.toMillis(), 2.0, max.toMillis());
        this.max = max;
    }

    /**
     * For reconnecting to the database: the first delay twice the poll interval (drawn from
     * {@code [poll, 2 × poll]}), never less than the poll interval, up to {@code max}.
     */
    static RelayBackoff forOutages(Duration pollInterval, Duration max) {
        Duration first = pollInterval.multipliedBy(2);
        return new RelayBackoff(first, max.compareTo(first) < 0 ? first : max);
    }

    Duration max() {
        return max;
    }

    /** Milliseconds to wait after the {@code attempt}-th failed attempt (1 for the first). */
    long delayMillis(int attempt) {
        long capped = growth.apply(Math.max(1, Math.min(attempt, 62)));
        return capped - ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    }
}
