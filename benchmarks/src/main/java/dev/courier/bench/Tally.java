package dev.courier.bench;

import dev.courier.bench.memory.BenchPayload;

import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a benchmark's receiving side counts for {@code expected} numbered payloads: latency from each
 * payload's send time, which sequence numbers arrived, how many arrived again, and a future that
 * completes when as many handler calls as expected have happened.
 */
public final class Tally {
    private final int expected;
    private final Stats stats;
    private final BitSet seen;
    private final AtomicLong handled = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final CompletableFuture<Void> all = new CompletableFuture<>();

    public Tally(int expected) {
        this.expected = expected;
        this.stats = new Stats();
        this.seen = new BitSet(expected);
    }

    /** Records one handled payload. */
    public void record(BenchPayload p) {
        stats.add(System.nanoTime() - p.sentNanos());
        synchronized (seen) {
            if (seen.get((int) p.seq())) {
                duplicates.incrementAndGet();
            }
            seen.set((int) p.seq());
        }
        if (handled.incrementAndGet() == expected) {
            all.complete(null);
        }
    }

    public Stats stats() {
        return stats;
    }

    public long handled() {
        return handled.get();
    }

    public long duplicates() {
        return duplicates.get();
    }

    /** Expected sequence numbers that never arrived. */
    public long lost() {
        synchronized (seen) {
            return expected - seen.cardinality();
        }
    }

    /** Completes when the handler has been called {@code expected} times. */
    public CompletableFuture<Void> all() {
        return all;
    }
}
