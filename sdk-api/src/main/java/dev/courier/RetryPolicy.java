package dev.courier;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How a failed handler is tried again, in two stages: a few immediate attempts in process
 * (exponential backoff with jitter, scheduled, no thread sleeps), then delayed redeliveries that
 * give the message back to the broker and free the consumer until the delay has passed. When
 * both are used up the message is dead-lettered. An exception that is not retryable goes straight
 * to the dead letter.
 *
 * <p>Total attempts = {@code maxAttempts × (1 + redeliveryDelays.size())}.
 */
public final class RetryPolicy {

    /** Immediate attempts per delivery by default: 3. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    /** The wait before the second immediate attempt by default: 100 ms. */
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(100);
    /** Each wait is the previous one times this, by default 2. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Each wait is randomised by ± this fraction, by default 0.5. */
    public static final double DEFAULT_JITTER = 0.5;
    /** No immediate-attempt wait is longer than this, by default 5 s. */
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(5);
    /** The delayed redeliveries by default: after 1 s, 10 s and 60 s. */
    public static final List<Duration> DEFAULT_REDELIVERY_DELAYS =
            List.of(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(60));

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double multiplier;
    private final double jitter;
    private final Duration maxBackoff;
    private final List<Duration> redeliveryDelays;
    private final List<Class<? extends Throwable>> noRetryOn;

    private RetryPolicy(Builder b) {
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.multiplier = b.multiplier;
        this.jitter = b.jitter;
        this.maxBackoff = b.maxBackoff;
        this.redeliveryDelays = List.copyOf(b.redeliveryDelays);
        this.noRetryOn = List.copyOf(b.noRetryOn);
    }

    /** @return the defaults: 3 immediate attempts from 100 ms, then redeliveries after 1 s, 10 s and 60 s */
    public static RetryPolicy ofDefaults() {
        return custom().build();
    }

    /** @return one attempt, no redelivery: a failure is dead-lettered at once */
    public static RetryPolicy none() {
        return custom().maxAttempts(1).redeliveryDelays(List.of()).build();
    }

    /** @return a builder starting from the defaults */
    public static Builder custom() {
        return new Builder();
    }

    /** @return a builder starting from this policy's values */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxAttempts = maxAttempts;
        b.initialBackoff = initialBackoff;
        b.multiplier = multiplier;
        b.jitter = jitter;
        b.maxBackoff = maxBackoff;
        b.redeliveryDelays = new ArrayList<>(redeliveryDelays);
        b.noRetryOn = new ArrayList<>(noRetryOn);
        return b;
    }

    /** @return immediate attempts per delivery, the first one included */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return the wait before the second immediate attempt (before jitter) */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /** @return the factor from one wait to the next */
    public double multiplier() {
        return multiplier;
    }

    /** @return the randomisation factor of each wait, from 0 (none) to below 1 */
    public double jitter() {
        return jitter;
    }

    /** @return the longest wait between immediate attempts */
    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** @return the delays of the delayed-redelivery stage, one per redelivery (unmodifiable) */
    public List<Duration> redeliveryDelays() {
        return redeliveryDelays;
    }

    /** @return total attempts before a retryable failure is dead-lettered */
    public int totalAttempts() {
        return maxAttempts * (1 + redeliveryDelays.size());
    }

    /**
     * False for {@link NonRetryableException}, {@link CodecException}, {@link LimitExceededException}
     * and the configured types (also as causes).
     *
     * @param error what a handler threw
     * @return whether another attempt may help
     */
    public boolean isRetryable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof NonRetryableException || t instanceof CodecException || t instanceof LimitExceededException) {
                return false;
            }
            for (Class<? extends Throwable> c : noRetryOn) {
                if (c.isInstance(t)) {
                    return false;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return true;
    }

    /** Builds a {@link RetryPolicy}; {@link #build()} names every invalid setting at once. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private double multiplier = DEFAULT_MULTIPLIER;
        private double jitter = DEFAULT_JITTER;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private List<Duration> redeliveryDelays = new ArrayList<>(DEFAULT_REDELIVERY_DELAYS);
        private List<Class<? extends Throwable>> noRetryOn = new ArrayList<>();

        private Builder() {
        }

        /**
         * @param maxAttempts immediate attempts per delivery, the first one included (at least 1)
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * @param initialBackoff the wait before the second immediate attempt (zero or positive)
         * @return this builder
         */
        public Builder initialBackoff(Duration initialBackoff) {
            this.initialBackoff = initialBackoff;
            return this;
        }

        /**
         * @param multiplier the factor from one wait to the next (at least 1)
         * @return this builder
         */
        public Builder multiplier(double multiplier) {
            this.multiplier = multiplier;
            return this;
        }

        /**
         * @param jitter randomisation factor from 0 (none) to below 1: each wait is backoff × (1 ± jitter)
         * @return this builder
         */
        public Builder jitter(double jitter) {
            this.jitter = jitter;
            return this;
        }

        /**
         * @param maxBackoff the longest wait between immediate attempts (at least initialBackoff)
         * @return this builder
         */
        public Builder maxBackoff(Duration maxBackoff) {
            this.maxBackoff = maxBackoff;
            return this;
        }

        /**
         * @param delays the delays of the delayed-redelivery stage, one per redelivery; empty for none
         * @return this builder
         */
        public Builder redeliveryDelays(List<Duration> delays) {
            this.redeliveryDelays = new ArrayList<>(delays);
            return this;
        }

        /**
         * @param delays the delays of the delayed-redelivery stage, one per redelivery; none for none
         * @return this builder
         */
        public Builder redeliveryDelays(Duration... delays) {
            return redeliveryDelays(List.of(delays));
        }

        /**
         * @param types exceptions (and their subclasses, also as causes) that go straight to the dead letter
         * @return this builder
         */
        @SafeVarargs
        public final Builder noRetryOn(Class<? extends Throwable>... types) {
            this.noRetryOn.addAll(List.of(types));
            return this;
        }

        /**
         * @return the policy
         * @throws ConfigurationException naming every invalid setting
         */
        public RetryPolicy build() {
            List<String> problems = new ArrayList<>();
            if (maxAttempts < 1) {
                problems.add("retryPolicy.maxAttempts must be at least 1, was " + maxAttempts);
            }
            if (initialBackoff == null || initialBackoff.isNegative()) {
                problems.add("retryPolicy.initialBackoff must be zero or positive, was " + initialBackoff);
            }
            if (!(multiplier >= 1.0)) {
                problems.add("retryPolicy.multiplier must be at least 1.0, was " + multiplier);
            }
            if (!(jitter >= 0.0 && jitter < 1.0)) {
                problems.add("retryPolicy.jitter must be in [0, 1), was " + jitter);
            }
            if (maxBackoff == null || initialBackoff != null && maxBackoff.compareTo(initialBackoff) < 0) {
                problems.add("retryPolicy.maxBackoff must be at least initialBackoff, was " + maxBackoff);
            }
            for (Duration d : redeliveryDelays) {
                if (d == null || d.isNegative() || d.isZero()) {
                    problems.add("retryPolicy.redeliveryDelays must all be positive, found " + d);
                }
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new RetryPolicy(this);
        }
    }

    @Override
    public String toString() {
        return "RetryPolicy{maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + ", multiplier="
                + multiplier + ", jitter=" + jitter + ", maxBackoff=" + maxBackoff + ", redeliveryDelays="
                + redeliveryDelays + ", noRetryOn=" + noRetryOn + "}";
    }
}
