package dev.courier.bench.memory;

import dev.courier.bench.Options;
import dev.courier.bench.Probe;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;

/**
 * Bytes of heap per remembered id in the in-memory deduplication store (goal ≤ 128), and what a claim
 * costs as the store grows: one row per step of {@code --steps} (default 10k, 1M, 10M ids). Each step
 * fills a store sized for that many ids with random UUID ids (claim, then complete, one thread, as a
 * handler does) and measures the heap it holds after a full collection. Then, on the full store, it
 * times up to one million claims of ids already done (the redelivery path) and up to one million
 * claims and completes of new ids (each complete forgets the oldest id: a busy service's steady
 * state). Ids are made on the fly and not kept, so the heap holds only the store; the latency
 * histograms ({@link Stats}, HdrHistogram) are made after the heap is read.
 *
 * <p>Heap: the store preallocates about 37 bytes per id at 10M (24 bytes of ring + the index), so
 * 10M ids need about 400 MiB of heap on top of the JVM's own: run 10M with {@code -Xmx1g} or more
 * ({@code java -Xmx1g -jar courier-bench.jar dedup-memory}).
 */
public final class DedupMemory implements Scenario {

    @Override
    public String name() {
        return "dedup-memory";
    }

    @Override
    public String description() {
        return "InMemoryDeduplicationStore: heap bytes per id and claim latency as it grows; --steps 10k,1m,10m"
                + " (10m needs -Xmx1g) or --ids N for one step";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        long[] steps = o.has("ids") && !o.has("steps") ? new long[] {o.getLong("ids", 1_000_000)}
                : Probe.steps(o.get("steps", "10k,1m,10m"), false);
        step(100_000, true); // warm-up: the claim path compiled before the first measured step
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long ids : steps) {
            rows.add(step((int) ids, false));
        }
        Probe.table(rows, "ids", "bytes_per_id", "claim_p50_us", "claim_p99_us", "complete_p50_us", "complete_p99_us",
                "done_claim_p50_us", "done_claim_p99_us", "fill_ids_per_s");
        return rows;
    }

    private Map<String, Object> step(int ids, boolean warmUp) {
        int timed = Math.min(ids, 1_000_000);
        long seed = 42L + ids;
        long before = Probe.heapAfterGc();
        InMemoryDeduplicationStore store = InMemoryDeduplicationStore.of(ids, Duration.ofHours(1));
        Duration lease = Duration.ofMinutes(1);
        SplittableRandom rnd = new SplittableRandom(seed);
        long t0 = System.nanoTime();
        for (int i = 0; i < ids; i++) {
            String k = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
            store.claim("svc", k, lease);
            store.complete("svc", k);
        }
        double fillSecs = (System.nanoTime() - t0) / 1e9;
        long after = Probe.heapAfterGc(); // before any histogram exists: the difference is the store alone
        int size = store.size("svc");
        Stats claim = new Stats();
        Stats complete = new Stats();
        Stats doneClaim = new Stats();
        // the redelivery path on the full store: ids already done (the first ones again, from the same seed)
        rnd = new SplittableRandom(seed);
        long notDone = 0;
        for (int i = 0; i < timed; i++) {
            String k = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
            long a = System.nanoTime();
            var r = store.claim("svc", k, lease);
            doneClaim.add(System.nanoTime() - a);
            if (r != dev.courier.spi.DeduplicationStore.Claim.DONE) {
                notDone++;
            }
        }
        // new ids on the full store: each complete forgets the oldest id (the steady state of a busy service)
        rnd = new SplittableRandom(~seed);
        for (int i = 0; i < timed; i++) {
            String k = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
            long a = System.nanoTime();
            store.claim("svc", k, lease);
            long b = System.nanoTime();
            store.complete("svc", k);
            long c = System.nanoTime();
            claim.add(b - a);
            complete.add(c - b);
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "none");
        row.put("ids", size);
        row.put("bytes_per_id", (after - before) / (double) size);
        row.put("goal_bytes_per_id", 128);
        row.put("store_mib", (after - before) / 1048576.0);
        row.put("claim_p50_us", claim.percentileMicros(50));
        row.put("claim_p99_us", claim.percentileMicros(99));
        row.put("complete_p50_us", complete.percentileMicros(50));
        row.put("complete_p99_us", complete.percentileMicros(99));
        row.put("done_claim_p50_us", doneClaim.percentileMicros(50));
        row.put("done_claim_p99_us", doneClaim.percentileMicros(99));
        row.put("done_claims_not_done", notDone);
        row.put("fill_ids_per_s", ids / fillSecs);
        row.put("timed_claims", timed);
        row.put("max_heap_mib", Runtime.getRuntime().maxMemory() / 1048576.0);
        System.err.println((warmUp ? "warm-up: " : "") + dev.courier.bench.Json.line(row));
        return row;
    }
}
