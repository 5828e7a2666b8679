package dev.courier.bench.amqp;

import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes and consumes over RabbitMQ for {@code --messages N} (or {@code --duration 10m}),
 * tolerating broker outages: a publish whose future failed is published again (same payload, new
 * id) until confirmed. Restart the broker from outside while it runs; at the end it reports sent,
 * confirmed, handled_unique, lost (confirmed but never handled) and duplicates_suppressed, and must
 * end with lost = 0.
 */
public final class AmqpSoak implements Scenario {

    @Override
    public String name() {
        return "amqp-soak";
    }

    @Override
    public String description() {
        return "RabbitMQ soak that survives broker restarts; --messages N | --duration 10m, --rate R, --drain 120s;"
                + " reports lost (must be 0)";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        Duration duration = o.has("duration") ? o.getDuration("duration", Duration.ofMinutes(1)) : null;
        int messages = duration != null ? Integer.MAX_VALUE : o.getInt("messages", 100_000);
        double rate = o.getLong("rate", 2_000);
        Duration drain = o.getDuration("drain", Duration.ofSeconds(120));
        int capacity = duration != null ? (int) Math.min(50_000_000, (long) (rate * duration.toSeconds() * 1.1) + 1000) : messages;
        String ns = AmqpBench.namespace("soak");
        BitSet confirmed = new BitSet();
        BitSet handled = new BitSet();
        AtomicLong sent = new AtomicLong();
        AtomicLong confirmedCount = new AtomicLong();
        AtomicLong handledCalls = new AtomicLong();
        AtomicLong suppressed = new AtomicLong();
        AtomicLong failedPublishes = new AtomicLong();
        Stats latency = new Stats();
        MessageBus sink = MessageBus.builder("bench-sink").transport(AmqpBench.transport(o, ns, 1_000))
                .deduplicationStore(InMemoryDeduplicationStore.of(Math.min(capacity + 1000, 1 << 27), Duration.ofHours(24)))
                .retryPolicy(RetryPolicy.none()).concurrency(4).prefetch(500)
                .listener(new BusListener() {
                    @Override
                    public void duplicate(Envelope envelope) {
                        suppressed.incrementAndGet();
                    }
                })
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    latency.add(System.nanoTime() - p.sentNanos());
                    handledCalls.incrementAndGet();
                    synchronized (handled) {
                        handled.set((int) p.seq());
                    }
                }).build().start();
        MessageBus pub = MessageBus.builder("bench-pub").transport(AmqpBench.transport(o, ns, 1_000))
                .publishTimeout(Duration.ofSeconds(30)).produces(BenchPayload.class).build().start();
        ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
        long t0 = System.nanoTime();
        progress.scheduleAtFixedRate(() -> System.err.printf("soak %4ds: sent %d confirmed %d handled %d failed-publishes"
                        + " %d suppressed %d connected %s%n", (System.nanoTime() - t0) / 1_000_000_000L, sent.get(),
                confirmedCount.get(), handledCalls.get(), failedPublishes.get(), suppressed.get(), sink.health().isHealthy()
                        && pub.health().isHealthy()), 5, 5, TimeUnit.SECONDS);
        Semaphore inFlight = new Semaphore(2_000);
        int n = 0;
        try {
            long end = duration == null ? Long.MAX_VALUE : t0 + duration.toNanos();
            for (; n < messages && System.nanoTime() < end; n++) {
                Runs.pace(t0, n, rate);
                inFlight.acquire();
                publish(pub, n, sent, confirmed, confirmedCount, failedPublishes, inFlight, retry);
            }
            // wait for every publish to be confirmed (retries included), then for the handler to catch up
            inFlight.acquire(2_000);
            inFlight.release(2_000);
            long drainEnd = System.nanoTime() + drain.toNanos();
            while (System.nanoTime() < drainEnd && lost(confirmed, handled) > 0) {
                Thread.sleep(200); // polling the counters; the bench has no other signal
            }
        } finally {
            progress.shutdownNow();
            retry.shutdownNow();
            pub.close();
            sink.close();
            AmqpBench.delete(o, AmqpBench.courierNames(ns));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "amqp");
        row.put("messages", n);
        row.put("seconds", (System.nanoTime() - t0) / 1e9);
        row.put("sent", sent.get());
        row.put("confirmed", confirmedCount.get());
        row.put("handled_unique", card(handled));
        row.put("lost", lost(confirmed, handled));
        row.put("duplicates_suppressed", suppressed.get());
        row.put("duplicates_handled", handledCalls.get() - card(handled));
        row.put("failed_publishes_retried", failedPublishes.get());
        row.put("sdk_p50_us", latency.percentileMicros(50));
        row.put("sdk_p99_us", latency.percentileMicros(99));
        row.put("sdk_p999_us", latency.percentileMicros(99.9));
        return List.of(row);
    }

    private static void publish(MessageBus pub, int seq, AtomicLong sent, BitSet confirmed, AtomicLong confirmedCount,
                                AtomicLong failed, Semaphore inFlight, ScheduledExecutorService retry) {
        sent.incrementAndGet();
        pub.publish(Runs.payload(seq, System.nanoTime())).whenComplete((x, e) -> {
            if (e == null) {
                synchronized (confirmed) {
                    if (!confirmed.get(seq)) {
                        confirmed.set(seq);
                        confirmedCount.incrementAndGet();
                    }
                }
                inFlight.release();
            } else {
                failed.incrementAndGet();
                retry.schedule(() -> publish(pub, seq, sent, confirmed, confirmedCount, failed, inFlight, retry),
                        200, TimeUnit.MILLISECONDS);
            }
        });
    }

    private static long card(BitSet b) {
        synchronized (b) {
            return b.cardinality();
        }
    }

    private static long lost(BitSet confirmed, BitSet handled) {
        BitSet c;
        synchronized (confirmed) {
            c = (BitSet) confirmed.clone();
        }
        synchronized (handled) {
            c.andNot(handled);
        }
        return c.cardinality();
    }
}
