package dev.courier.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Latency samples in nanoseconds → percentiles in microseconds, kept in an HdrHistogram (three
 * significant digits, auto-resizing): every sample counts however long the run, at a fixed memory
 * cost, and handler threads record concurrently without a lock. Replaces a fixed-capacity sorted
 * sample buffer that dropped every sample past its capacity, so soaks reported only their first minutes.
 */
public final class Stats {
    private final ConcurrentHistogram histogram = new ConcurrentHistogram(3);

    /** An empty recorder. */
    public Stats() {
    }

    /** Records one latency in nanoseconds (a negative value, clock skew between threads, counts as 0). */
    public void add(long nanos) {
        histogram.recordValue(Math.max(0, nanos));
    }

    /**
     * Records one latency and, when it is longer than {@code expectedIntervalNanos}, the samples a
     * closed-loop sender would have taken during the stall (HdrHistogram's coordinated-omission
     * correction). Not needed when latency is measured from the intended send time of an open-loop
     * schedule, which already counts the stall in every message it delayed.
     *
     * @param nanos                 the measured latency
     * @param expectedIntervalNanos the intended interval between two samples
     */
    public void addWithExpectedInterval(long nanos, long expectedIntervalNanos) {
        histogram.recordValueWithExpectedInterval(Math.max(0, nanos), expectedIntervalNanos);
    }

    /**
     * The value at percentile {@code p} (0–100, e.g. 99.9) in microseconds, NaN when empty.
     *
     * @param p the percentile
     * @return the latency in microseconds
     */
    public double percentileMicros(double p) {
        Histogram copy = histogram.copy();
        return copy.getTotalCount() == 0 ? Double.NaN : copy.getValueAtPercentile(p) / 1000.0;
    }

    /** The largest recorded value in microseconds, NaN when empty. */
    public double maxMicros() {
        Histogram copy = histogram.copy();
        return copy.getTotalCount() == 0 ? Double.NaN : copy.getMaxValue() / 1000.0;
    }

    /** How many samples were recorded (all of them). */
    public long count() {
        return histogram.getTotalCount();
    }

    /** Adds every sample of {@code other} to this one (e.g. rounds into one distribution). */
    public void addAll(Stats other) {
        histogram.add(other.histogram.copy());
    }
}
