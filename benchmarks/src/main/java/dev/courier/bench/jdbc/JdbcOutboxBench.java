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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Messages per second from "business insert + outbox write, commit" to the handler, through the
 * relay with confirms, against the same business insert committed and then a direct publish
 * (waiting for its confirm) in the same run: the ratio is the price of the outbox's guarantee.
 * Both sides use the same in-memory transport and the same commit of the business insert; only
 * the outbox row (and its relay) differs. {@code --writers N} threads (default 4), one message per
 * transaction; {@code --rounds N} (default 3) interleaved rounds, alternating which side goes first,
 * after one warm-up of each; the line reports the median ratio with its min and max.
 * {@code --relay same} (default) runs the relay on the writers' outbox object, as a service that
 * writes and relays does (writes wake it directly); {@code --relay separate} runs it on a second
 * outbox object, as another process would, so it is woken by NOTIFY ({@code --notify true}, the
 * default, PostgreSQL only) or by its poll ({@code --poll-ms}, default 500).
 * {@code --active-ms} sets the relay's active poll interval.
 */
public final class JdbcOutboxBench implements Scenario {

    @Override
    public String name() {
        return "jdbc-outbox";
    }

    @Override
    public String description() {
        return "outbox write+commit→relay→handler vs commit then direct publish; --db postgres|mariadb --messages N"
                + " --writers N --rounds N --relay same|separate --notify true|false --poll-ms N --active-ms N";
    }

    /** How one side of a round is set up. */
    private record Setup(int writers, boolean notifying, boolean separate, Duration poll, Duration active) {
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 20_000);
        int rounds = Math.max(1, o.getInt("rounds", 3));
        Setup setup = new Setup(o.getInt("writers", 4), Boolean.parseBoolean(o.get("notify", "true")),
                o.get("relay", "same").equals("separate"), Duration.ofMillis(o.getInt("poll-ms", 500)),
                Duration.ofMillis(o.getInt("active-ms", (int) OutboxRelay.DEFAULT_ACTIVE_POLL_INTERVAL.toMillis())));
        try (BenchDb db = new BenchDb(o)) {
            long lost = 0;
            lost += measure(db, Math.min(2000, messages), setup, false).lost;
            lost += measure(db, Math.min(2000, messages), setup, true).lost;
            List<Result[]> pairs = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                Result direct;
                Result outbox;
                if (r % 2 == 0) {
                    direct = measure(db, messages, setup, false);
                    outbox = measure(db, messages, setup, true);
                } else {
                    outbox = measure(db, messages, setup, true);
                    direct = measure(db, messages, setup, false);
                }
                lost += direct.lost + outbox.lost;
                pairs.add(new Result[] {outbox, direct});
                System.err.printf("round %d: outbox %.0f msg/s, direct %.0f msg/s, ratio %.3f%n", r + 1, outbox.rate,
                        direct.rate, outbox.rate / direct.rate);
            }
            pairs.sort(Comparator.comparingDouble(p -> p[0].rate / p[1].rate));
            Result[] median = pairs.get(pairs.size() / 2);
            Result outbox = median[0];
            Result direct = median[1];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("scenario", name());
            row.put("transport", "memory");
            row.put("db", db.kind);
            row.put("messages", messages);
            row.put("writers", setup.writers);
            row.put("relay", setup.separate ? "separate" : "same");
            row.put("notify", setup.notifying);
            row.put("poll_ms", setup.poll.toMillis());
            row.put("active_ms", setup.active.toMillis());
            row.put("rounds", rounds);
            row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
            row.put("sdk_msgs_per_s", outbox.rate);
            row.put("baseline_msgs_per_s", direct.rate);
            row.put("ratio", outbox.rate / direct.rate);
            row.put("ratio_min", pairs.get(0)[0].rate / pairs.get(0)[1].rate);
            row.put("ratio_max", pairs.get(pairs.size() - 1)[0].rate / pairs.get(pairs.size() - 1)[1].rate);
            row.put("sdk_p50_us", outbox.stats.percentileMicros(50));
            row.put("sdk_p99_us", outbox.stats.percentileMicros(99));
            row.put("sdk_p999_us", outbox.stats.percentileMicros(99.9));
            row.put("baseline_p50_us", direct.stats.percentileMicros(50));
            row.put("baseline_p99_us", direct.stats.percentileMicros(99));
            row.put("baseline_p999_us", direct.stats.percentileMicros(99.9));
            row.put("sdk_commit_p50_us", outbox.afterCommit.percentileMicros(50));
            row.put("sdk_commit_p99_us", outbox.afterCommit.percentileMicros(99));
            row.put("baseline_commit_p50_us", direct.afterCommit.percentileMicros(50));
            row.put("baseline_commit_p99_us", direct.afterCommit.percentileMicros(99));
            row.put("lost", lost);
            row.put("duplicates_handled", outbox.duplicates);
            return List.of(row);
        }
    }

    /**
     * One side of a round: {@code stats} from just before the transaction to the handler,
     * {@code afterCommit} from the commit's return to the handler.
     */
    private record Result(double rate, Stats stats, Stats afterCommit, long lost, long duplicates) {
    }

    private Result measure(BenchDb db, int messages, Setup setup, boolean viaOutbox) throws Exception {
        String biz = db.businessTable();
        InMemoryBroker broker = InMemoryBroker.create(65_536, 1_000);
        Tally tally = new Tally(messages);
        Stats afterCommit = new Stats();
        AtomicLongArray committed = new AtomicLongArray(messages);
        try (MessageBus sink = MessageBus.builder("bench-sink").transport(broker.connect())
                .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(1024)
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    long at = committed.get((int) p.seq());
                    if (at != 0) {
                        afterCommit.add(System.nanoTime() - at);
                    }
                    tally.record(p);
                }).build().start();
             MessageBus pub = MessageBus.builder("bench-pub").transport(broker.connect()).produces(BenchPayload.class)
                     .build().start()) {
            String table = db.table("outbox");
            JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, pub).table(table).notifyRelays(setup.notifying)
                    .build().createSchema();
            JdbcOutbox relays = setup.separate
                    ? JdbcOutbox.builder(db.dataSource, pub).table(table).notifyRelays(setup.notifying).build() : outbox;
            OutboxRelay relay = viaOutbox ? relays.relay().pollInterval(setup.poll).activePollInterval(setup.active)
                    .start() : null;
            ExecutorService pool = Executors.newFixedThreadPool(setup.writers);
            long t0 = System.nanoTime();
            try {
                List<Future<?>> done = new ArrayList<>();
                int writers = setup.writers;
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
                                committed.set(i, System.nanoTime());
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
            return new Result(messages / (took / 1e9), tally.stats(), afterCommit, tally.lost(), tally.duplicates());
        }
    }
}
