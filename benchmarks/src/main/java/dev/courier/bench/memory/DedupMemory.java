package dev.courier.bench.memory;

import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Bytes of heap per remembered id in the in-memory deduplication store (goal ≤ 128). */
public final class DedupMemory implements Scenario {

    @Override
    public String name() {
        return "dedup-memory";
    }

    @Override
    public String description() {
        return "heap bytes per remembered id in InMemoryDeduplicationStore with --ids N (default 1,000,000)";
    }

    private static long usedAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100); // let the collector settle between readings (measurement, not synchronisation)
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int ids = o.getInt("ids", 1_000_000);
        String[] keys = new String[ids];
        for (int i = 0; i < ids; i++) {
            keys[i] = UUID.randomUUID().toString();
        }
        long before = usedAfterGc();
        InMemoryDeduplicationStore store = InMemoryDeduplicationStore.of(ids, Duration.ofHours(1));
        Duration lease = Duration.ofMinutes(1);
        for (String k : keys) {
            store.claim("svc", k, lease);
            store.complete("svc", k);
        }
        long after = usedAfterGc();
        int size = store.size("svc");
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "none");
        row.put("ids", size);
        row.put("bytes_per_id", (after - before) / (double) size);
        row.put("goal_bytes_per_id", 128);
        keys[0] = keys[ids - 1]; // keep keys reachable until after the measurement
        return List.of(row);
    }
}
