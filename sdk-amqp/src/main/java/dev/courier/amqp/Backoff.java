package dev.courier.amqp;

import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * The pause before each reconnect attempt of one connection: from {@link #INITIAL}, doubling, each
 * randomised by ±50 % (resilience4j's exponential random backoff) so that many clients that lost the
 * broker together do not come back together, up to {@code max} — and at the cap still randomised,
 * between half of it and all of it. The count of attempts is not reset by a connection that drops
 * again soon: only one that stayed up for {@code stable} starts the pauses from the beginning again,
 * so a connection that something breaks right after each connect backs off instead of reconnecting
 * ten times a second. Thread safe. Internal.
 */
final class Backoff {
    /** The first pause. */
    static final Duration INITIAL = Duration.ofMillis(100);

    private final IntervalFunction interval;
    private final long maxMillis;
    private final long stableNanos;
    private final LongSupplier nanoClock;
    private int attempt;
    private long upSince = Long.MIN_VALUE;

    Backoff(Duration max, Duration stable, LongSupplier nanoClock) {
        this.maxMillis = Math.max(INITIAL.toMillis(), max.toMillis());
        this.interval = IntervalFunction.ofExponentialRandomBackoff(INITIAL, 2.0, 0.5, Duration.ofMillis(maxMillis));
        this.stableNanos = stable.toNanos();
        this.nanoClock = nanoClock;
    }

    /** The pauses for a link with this longest pause; a connection counts as stable after 30 s or two of them. */
    static Backoff of(Duration max) {
        Duration stable = max.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? max.multipliedBy(2)
                : Duration.ofSeconds(30);
        return new Backoff(max, stable, System::nanoTime);
    }

    /** The pause before the next attempt, in milliseconds; counts the attempt. */
    synchronized long next() {
        attempt = Math.min(attempt + 1, 64);
        long d = interval.apply(attempt);
        if (d >= maxMillis) {
            d = maxMillis - ThreadLocalRandom.current().nextLong(maxMillis / 2 + 1);
        }
        return Math.max(1, d);
    }

    /** A connection is up. */
    synchronized void connected() {
        upSince = nanoClock.getAsLong();
    }

    /** The connection dropped: the count starts over only if it had been up for the stable time. */
    synchronized void lost() {
        if (upSince != Long.MIN_VALUE && nanoClock.getAsLong() - upSince >= stableNanos) {
            attempt = 0;
        }
        upSince = Long.MIN_VALUE;
    }

    /** Attempts counted since the last reset; for tests. */
    synchronized int attempts() {
        return attempt;
    }
}
