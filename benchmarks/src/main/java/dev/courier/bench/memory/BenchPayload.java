package dev.courier.bench.memory;

import dev.courier.Event;
import dev.courier.MessageName;

/** About 200 bytes of JSON: the payload every throughput scenario moves. */
@MessageName("v1.bench.measured")
public record BenchPayload(long seq, long sentNanos, String customerId, String sku, int quantity, String note)
        implements Event {

    public static BenchPayload of(long seq) {
        return at(seq, System.nanoTime());
    }

    /** The same payload stamped with {@code sentNanos}, e.g. the intended send time of an open-loop schedule. */
    public static BenchPayload at(long seq, long sentNanos) {
        return new BenchPayload(seq, sentNanos, "customer-0042", "SKU-1234567890", 3,
                "benchmark payload padding to reach about two hundred bytes of JSON..............");
    }
}
