package dev.courier.bench.jdbc;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.jdbc.JdbcOutbox;
import dev.courier.jdbc.OutboxRelay;
import dev.courier.memory.InMemoryBroker;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Messages per second from "business insert + outbox write, commit" to the handler, through the
 * relay with confirms, against the same business insert committed and then a direct publish
 * (waiting for its confirm) in the same run: the ratio is the price of the outbox's guarantee.
 * {@code --writers N} threads (default 4), one message per transaction; {@code --notify false} turns
 * PostgreSQL's NOTIFY off (the relay then polls every 500 ms).
 */
public final class JdbcOutboxBench implements Scenario {
    private boolean notify = true;

    @Override
    public String name() {
        return "jdbc-outbox";
    }

    @Override
    public String description() {
        return "outbox write+commit→relay→handler vs commit then direct publish; --db postgres|mariadb --messages N --writers N";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 20_000);
        int writers = o.getInt("writers", 4);
        notify = Boolean.parseBoolean(o.get("notify", "true"));
        try (BenchDb db = new BenchDb(o)) {
            String biz = db.businessTable();
            Result warmDirect = measure(db, biz, Math.min(2000, messages), writers, false);
            Result warmOutbox = measure(db, biz, Math.min(2000, messages), writers, true);
            Result direct = measure(db, biz, messages, writers, false);
            Result outbox = measure(db, biz, messages, writers, true);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", name());
            row.put("transport", "memory");
            row.put("db", db.kind);
            row.put("messages", messages);
            row.put("writers", writers);
            row.put("notify", notify);
            row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
            row.put("sdk_msgs_per_s", outbox.rate);
            row.put("baseline_msgs_per_s", direct.rate);
            row.put("ratio", outbox.rate / direct.rate);
            row.put("sdk_p50_us", outbox.stats.percentileMicros(50));
            row.put("sdk_p99_us", outbox.stats.percentileMicros(99));
            row.put("sdk_p999_us", outbox.stats.percentileMicros(99.9));
            row.put("baseline_p50_us", direct.stats.percentileMicros(50));
            row.put("baseline_p99_us", direct.stats.percentileMicros(99));
            row.put("baseline_p999_us", direct.stats.percentileMicros(99.9));
            row.put("lost", outbox.lost + direct.lost + warmDirect.lost + warmOutbox.lost);
            row.put("duplicates_handled", outbox.duplicates);
            return List.of(row);
        }
    }

    private record Result(double rate, Stats stats, long lost, long duplicates) {
    }

    private Result measure(BenchDb db, String biz, int messages, int writers, boolean viaOutbox) throws Exception {
        InMemoryBroker broker = InMemoryBroker.create(65_536, 1_000);
        Tally tally = new Tally(messages);
        try (MessageBus sink = MessageBus.builder("bench-sink").transport(broker.connect())
                .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(1024)
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    tally.record(p);
                }).build().start();
             MessageBus pub = MessageBus.builder("bench-pub").transport(broker.connect()).produces(BenchPayload.class)
                     .build().start()) {
            JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, pub).table(db.table("outbox")).notifyRelays(notify)
                    .build().createSchema();
            OutboxRelay relay = viaOutbox ? outbox.relay().start() : null;
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            long t0 = System.nanoTime();
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int writer = w;
                    done.add(pool.submit(() -> {
                        for (int i = writer; i < messages; i += writers) {
                            BenchPayload p = BenchPayload.of(i);
                            try (Connection c = db.dataSource.getConnection()) {
                                c.setAutoCommit(false);
                                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)")) {
                                    ps.setString(1, "m" + i);
                                    ps.setLong(2, i);
                                    ps.executeUpdate();
                                }
                                if (viaOutbox) {
                                    outbox.publish(c, p);
                                }
                                c.commit();
                            }
                            if (!viaOutbox) {
                                pub.publish(p).get(30, TimeUnit.SECONDS);
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(10, TimeUnit.MINUTES);
                }
                if (relay != null) {
                    relay.wakeUp();
                }
                try {
                    tally.all().get(5, TimeUnit.MINUTES);
                } catch (Exception timeout) {
                    // lost is reported
                }
            } finally {
                pool.shutdownNow();
                if (relay != null) {
                    relay.close();
                }
            }
            long took = System.nanoTime() - t0;
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates());
        }
    }
}
