package dev.courier.spi;

import dev.courier.ConfigurationException;
import io.github.resilience4j.core.IntervalFunction;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * One jittered exponential backoff for every reconnect loop, so that many clients that lost the same
 * broker do not come back in step. Use one per connection:
 *
 * <pre>{@code
 * Backoff backoff = Backoff.ofDefaults();
 * // connection attempt failed, or an established connection was lost:
 * scheduler.schedule(this::connect, backoff.nextDelay().toMillis(), MILLISECONDS);
 * // connection established:
 * backoff.connected();
 * }</pre>
 *
 * <p>The n-th delay in a row is {@code initialDelay × multiplier^(n-1)}, capped at {@code maxDelay},
 * then lowered by a random part of up to {@code jitter} of it: a delay is in
 * {@code (base × (1 - jitter), base]}, never above {@code maxDelay}, and jitter stays in force at
 * the cap (resilience4j's {@code ofExponentialRandomBackoff} caps after randomizing, so every client
 * at the cap waits exactly the cap; the base here is resilience4j's {@code ofExponentialBackoff}).
 *
 * <p>The count of failures in a row does not start again just because a connection came up: only a
 * connection that stayed up for {@code stableAfter} resets it, so a broker that accepts and drops
 * connections at once (a resource alarm, an oversized message killing the consumer) meets a
 * growing backoff, not a reconnect every 100 ms. Time comes from an injectable {@link Clock}.
 *
 * <p>Thread safe. Immutable settings; the failure count is the only state.
 */
public final class Backoff {
    /** The first delay by default: 100 ms. */
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofMillis(100);
    /** How much each delay grows by default: it doubles. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** The cap of the base delay by default: 30 s. */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(30);
    /** The random part of each delay by default: up to half of it. */
    public static final double DEFAULT_JITTER = 0.5;
    /** How long a connection must stay up by default before the failure count starts again: 30 s. */
    public static final Duration DEFAULT_STABLE_AFTER = Duration.ofSeconds(30);

    private final IntervalFunction base;
    private final int steps;
    private final double jitter;
    private final long stableAfterMillis;
    private final Clock clock;
    private final DoubleSupplier random;
    private int failures;
    private long upSince = -1;

    private Backoff(Builder b) {
        this.base = IntervalFunction.ofExponentialBackoff(b.initialDelay, b.multiplier, b.maxDelay);
        int n = 1;
        for (double d = b.initialDelay.toMillis(); d < b.maxDelay.toMillis() && n < 64; d *= b.multiplier) {
            n++;
        }
        this.steps = n; // past this many failures the base stays at maxDelay
        this.jitter = b.jitter;
        this.stableAfterMillis = b.stableAfter.toMillis();
        this.clock = b.clock;
        this.random = b.random;
    }

    /**
     * 100 ms doubling to 30 s, up to half of each delay random, reset after 30 s of a stable connection.
     *
     * @return a new backoff with no failures counted yet
     */
    public static Backoff ofDefaults() {
        return custom().build();
    }

    /**
     * Starts from the defaults; change what you need, then {@link Builder#build()}.
     *
     * @return a new builder
     */
    public static Builder custom() {
        return new Builder();
    }

    /**
     * The delay before the next connection attempt; call it when an attempt failed or an established
     * connection was lost. Counts one more failure in a row, unless the connection up since the last
     * {@link #connected()} had stayed up for {@code stableAfter}: then the count starts again.
     *
     * @return the delay, at least 1 ms and at most {@code maxDelay}; the caller waits it (this method
     *         never sleeps)
     */
    public synchronized Duration nextDelay() {
        if (upSince >= 0) {
            if (clock.millis() - upSince >= stableAfterMillis) {
                failures = 0;
            }
            upSince = -1;
        }
        failures++;
        long b = base.apply(Math.min(failures, steps));
        long d = b - (long) (b * jitter * random.getAsDouble());
        return Duration.ofMillis(Math.max(1, d));
    }

    /** A connection is up now; the failure count resets once it has stayed up for {@code stableAfter}. */
    public synchronized void connected() {
        upSince = clock.millis();
    }

    /**
     * Failures in a row so far (what the next delay is based on).
     *
     * @return the count, 0 before the first {@link #nextDelay()}
     */
    public synchronized int failures() {
        return failures;
    }

    /** Settings of a {@link Backoff}; {@link #build()} names every invalid one at once. */
    public static final class Builder {
        private Duration initialDelay = DEFAULT_INITIAL_DELAY;
        private double multiplier = DEFAULT_MULTIPLIER;
        private Duration maxDelay = DEFAULT_MAX_DELAY;
        private double jitter = DEFAULT_JITTER;
        private Duration stableAfter = DEFAULT_STABLE_AFTER;
        private Clock clock = Clock.systemUTC();
        private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

        private Builder() {
        }

        /**
         * The first delay (at least 1 ms).
         *
         * @param d the delay; default {@link #DEFAULT_INITIAL_DELAY}
         * @return this builder
         */
        public Builder initialDelay(Duration d) {
            this.initialDelay = d;
            return this;
        }

        /**
         * How much each delay grows (at least 1.0).
         *
         * @param m the factor; default {@link #DEFAULT_MULTIPLIER}
         * @return this builder
         */
        public Builder multiplier(double m) {
            this.multiplier = m;
            return this;
        }

        /**
         * The cap of the base delay; no delay is longer.
         *
         * @param d the cap, at least the initial delay; default {@link #DEFAULT_MAX_DELAY}
         * @return this builder
         */
        public Builder maxDelay(Duration d) {
            this.maxDelay = d;
            return this;
        }

        /**
         * The part of each delay that is random, from 0 (none) to 1 (anything up to the base).
         *
         * @param j the fraction in [0, 1]; default {@link #DEFAULT_JITTER}
         * @return this builder
         */
        public Builder jitter(double j) {
            this.jitter = j;
            return this;
        }

        /**
         * How long a connection must stay up before the failure count starts again.
         *
         * @param d the duration; default {@link #DEFAULT_STABLE_AFTER}
         * @return this builder
         */
        public Builder stableAfter(Duration d) {
            this.stableAfter = d;
            return this;
        }

        /**
         * The clock that measures {@code stableAfter} (tests inject one).
         *
         * @param c the clock; default {@link Clock#systemUTC()}
         * @return this builder
         */
        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /**
         * Random numbers in [0, 1) for the jitter (tests inject fixed ones).
         *
         * @param r the source; default {@link ThreadLocalRandom}
         * @return this builder
         */
        public Builder random(DoubleSupplier r) {
            this.random = r;
            return this;
        }

        /**
         * A backoff with these settings.
         *
         * @return a new backoff with no failures counted yet
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public Backoff build() {
            List<String> problems = new ArrayList<>();
            if (initialDelay == null || initialDelay.toMillis() < 1) {
                problems.add("backoff.initialDelay must be at least 1 ms, was " + initialDelay);
            }
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                problems.add("backoff.multiplier must be at least 1.0, was " + multiplier);
            }
            if (maxDelay == null || initialDelay != null && maxDelay.compareTo(initialDelay) < 0) {
                problems.add("backoff.maxDelay must be at least initialDelay, was " + maxDelay);
            }
            if (!(jitter >= 0.0 && jitter <= 1.0)) {
                problems.add("backoff.jitter must be in [0, 1], was " + jitter);
            }
            if (stableAfter == null || stableAfter.isNegative()) {
                problems.add("backoff.stableAfter must be zero or positive, was " + stableAfter);
            }
            if (clock == null) {
                problems.add("backoff.clock must not be null");
            }
            if (random == null) {
                problems.add("backoff.random must not be null");
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new Backoff(this);
        }
    }
}
