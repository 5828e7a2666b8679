package dev.courier.bench.memory;

import dev.courier.Event;
import dev.courier.MessageName;

/** About 200 bytes of JSON: the payload every throughput scenario moves. */
@MessageName("v1.bench.measured")
public record BenchPayload(long seq, long sentNanos, String customerId, String sku, int quantity, String note)
        implements Event {

    public static BenchPayload of(long seq) {
        return new BenchPayload(seq, System.nanoTime(), "customer-0042", "SKU-1234567890", 3,
                "benchmark payload padding to reach about two hundred bytes of JSON..............");
    }
}
