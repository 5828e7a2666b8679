package dev.courier.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds → percentiles in microseconds. */
public final class Stats {
    private final long[] samples;
    private int n;

    public Stats(int capacity) {
        samples = new long[capacity];
    }

    public synchronized void add(long nanos) {
        if (n < samples.length) {
            samples[n++] = nanos;
        }
    }

    public synchronized double percentileMicros(double p) {
        if (n == 0) {
            return Double.NaN;
        }
        long[] copy = Arrays.copyOf(samples, n);
        Arrays.sort(copy);
        int idx = (int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100.0 * n) - 1));
        return copy[idx] / 1000.0;
    }

    public synchronized int count() {
        return n;
    }
}
