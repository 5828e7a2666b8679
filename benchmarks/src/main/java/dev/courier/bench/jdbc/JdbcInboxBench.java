package dev.courier.bench.jdbc;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.jdbc.JdbcInbox;
import dev.courier.memory.InMemoryBroker;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.DeduplicationStore;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The cost per message of the durable inbox: publish → handler on the in-memory transport with a
 * {@link JdbcInbox} against the same run with the {@link InMemoryDeduplicationStore}. Reports the
 * extra microseconds per message and the store's statements' latency as seen end to end.
 * {@code --concurrency N} handler slots (default 4).
 */
public final class JdbcInboxBench implements Scenario {

    @Override
    public String name() {
        return "jdbc-inbox";
    }

    @Override
    public String description() {
        return "publish→handler with JdbcInbox vs InMemoryDeduplicationStore; --db postgres|mariadb --messages N --concurrency N";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 20_000);
        int concurrency = o.getInt("concurrency", 4);
        try (BenchDb db = new BenchDb(o)) {
            JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(db.table("inbox")).purgeInterval(Duration.ZERO)
                    .build().createSchema();
            measure(InMemoryDeduplicationStore.ofDefaults(), Math.min(5000, messages), concurrency);
            measure(inbox, Math.min(2000, messages), concurrency);
            Result memory = measure(InMemoryDeduplicationStore.of(messages + 10_000, Duration.ofHours(1)), messages, concurrency);
            Result durable = measure(inbox, messages, concurrency);
            inbox.close();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", name());
            row.put("transport", "memory");
            row.put("db", db.kind);
            row.put("messages", messages);
            row.put("concurrency", concurrency);
            row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
            row.put("sdk_msgs_per_s", durable.rate);
            row.put("baseline_msgs_per_s", memory.rate);
            row.put("ratio", durable.rate / memory.rate);
            row.put("sdk_p50_us", durable.stats.percentileMicros(50));
            row.put("sdk_p99_us", durable.stats.percentileMicros(99));
            row.put("sdk_p999_us", durable.stats.percentileMicros(99.9));
            row.put("baseline_p50_us", memory.stats.percentileMicros(50));
            row.put("baseline_p99_us", memory.stats.percentileMicros(99));
            row.put("baseline_p999_us", memory.stats.percentileMicros(99.9));
            row.put("extra_us_per_message", 1e6 / durable.rate - 1e6 / memory.rate);
            row.put("lost", durable.lost + memory.lost);
            row.put("duplicates_handled", durable.duplicates + memory.duplicates);
            return List.of(row);
        }
    }

    private record Result(double rate, Stats stats, long lost, long duplicates) {
    }

    private Result measure(DeduplicationStore store, int messages, int concurrency) throws Exception {
        InMemoryBroker broker = InMemoryBroker.create(65_536, 1_000);
        Tally tally = new Tally(messages);
        try (MessageBus sink = MessageBus.builder("bench-sink").transport(broker.connect()).deduplicationStore(store)
                .retryPolicy(RetryPolicy.none()).concurrency(concurrency).prefetch(1024)
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    tally.record(p);
                }).build().start();
             MessageBus pub = MessageBus.builder("bench-pub").transport(broker.connect()).produces(BenchPayload.class)
                     .build().start()) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> last = null;
            for (int i = 0; i < messages; i++) {
                last = pub.publish(BenchPayload.of(i));
            }
            last.get(60, TimeUnit.SECONDS);
            try {
                tally.all().get(5, TimeUnit.MINUTES);
            } catch (Exception timeout) {
                // lost is reported
            }
            long took = System.nanoTime() - t0;
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates());
        }
    }
}
