package dev.courier.bench.memory;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.Tally;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.memory.InMemoryBroker;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * publish → handler end to end on the in-memory transport, JSON and deduplication on, against a
 * baseline in the same run that does the same Jackson encode/decode of the same payload and
 * headers with a plain queue handoff between two threads.
 */
public final class MemoryThroughput implements Scenario {

    @Override
    public String name() {
        return "memory-throughput";
    }

    @Override
    public String description() {
        return "in-memory publish→handler (JSON + dedup) vs Jackson + ArrayBlockingQueue handoff; --messages N"
                + " [--observe none|metrics|tracing|both] [--only sdk|raw] [--threads true] [--queue N] [--prefetch N]";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 1_000_000);
        int warmup = o.getInt("warmup", Math.min(100_000, messages / 5));
        int rounds = o.getInt("rounds", 3);
        observe = o.get("observe", "none");
        threads = Boolean.parseBoolean(o.get("threads", "false"));
        queueCapacity = o.getInt("queue", InMemoryBroker.DEFAULT_QUEUE_CAPACITY);
        prefetch = o.getInt("prefetch", 1024);
        if (!List.of("none", "metrics", "tracing", "both").contains(observe)) {
            throw new IllegalArgumentException("--observe must be none, metrics, tracing or both, was " + observe);
        }
        String only = o.get("only", "both");
        if (!List.of("both", "sdk", "raw").contains(only)) {
            throw new IllegalArgumentException("--only must be both, sdk or raw, was " + only);
        }
        boolean runRaw = !only.equals("sdk");
        boolean runSdk = !only.equals("raw");
        // warm both paths up in this JVM first, then measure in rounds that alternate the order
        // (--only sdk|raw runs one side alone: a profile of that side, e.g. benchmarks/flame.sh)
        if (runRaw) {
            baseline(warmup);
        }
        if (runSdk) {
            courier(warmup);
        }
        double[] ratios = new double[rounds];
        double[] baseRates = new double[rounds];
        Result[] results = new Result[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                baseRates[r] = runRaw ? baseline(messages) : Double.NaN;
                results[r] = runSdk ? courier(messages) : null;
            } else {
                results[r] = runSdk ? courier(messages) : null;
                baseRates[r] = runRaw ? baseline(messages) : Double.NaN;
            }
            // one side alone: the median round is the one of its median rate
            ratios[r] = !runSdk ? baseRates[r] : !runRaw ? results[r].rate : results[r].rate / baseRates[r];
            System.err.printf("round %d: courier %.0f msg/s, baseline %.0f msg/s, ratio %.3f%n", r + 1,
                    runSdk ? results[r].rate : Double.NaN, baseRates[r], runSdk ? results[r].rate / baseRates[r] : Double.NaN);
        }
        int median = medianIndex(ratios);
        Result sdk = results[median];
        double base = baseRates[median];
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "memory");
        row.put("messages", messages);
        row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
        if (runSdk) {
            row.put("sdk_msgs_per_s", sdk.rate);
        }
        if (runRaw) {
            row.put("baseline_msgs_per_s", base);
        }
        if (!runSdk) {
            row.put("rounds", rounds);
            row.put("only", only);
            return List.of(row);
        }
        if (runRaw) {
            row.put("ratio", sdk.rate / base);
            row.put("ratio_min", java.util.Arrays.stream(ratios).min().orElse(Double.NaN));
            row.put("ratio_max", java.util.Arrays.stream(ratios).max().orElse(Double.NaN));
        }
        row.put("sdk_p50_us", sdk.stats.percentileMicros(50));
        row.put("sdk_p99_us", sdk.stats.percentileMicros(99));
        row.put("sdk_p999_us", sdk.stats.percentileMicros(99.9));
        long lostAll = 0;
        long dupAll = 0;
        for (Result r : results) {
            lostAll += r.lost;
            dupAll += r.duplicates;
        }
        row.put("lost", lostAll);
        row.put("duplicates_handled", dupAll);
        row.put("rounds", rounds);
        row.put("observe", observe);
        if (!only.equals("both")) {
            row.put("only", only);
        }
        row.put("queue", queueCapacity);
        row.put("baseline_queue", 65_536);
        row.put("prefetch", prefetch);
        return List.of(row);
    }

    /** The index of the median value (the lower one for an even count). */
    static int medianIndex(double[] values) {
        Integer[] idx = new Integer[values.length];
        for (int i = 0; i < idx.length; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(values[a], values[b]));
        return idx[(values.length - 1) / 2];
    }

    private record Result(double rate, Stats stats, long lost, long duplicates) {
    }

    private String observe = "none";
    /** --threads: print each side's CPU and allocation per message per thread on stderr. */
    private boolean threads;
    /**
     * --queue: the broker queue's bound on Courier's side, by default the memory transport's own
     * default (what {@code memory:} gives a user); the baseline's ArrayBlockingQueue stays 65,536,
     * its fastest (its consumer keeps up, so its producer never waits).
     */
    private int queueCapacity = InMemoryBroker.DEFAULT_QUEUE_CAPACITY;
    /** --prefetch: unsettled deliveries the subscriber bus may hold. */
    private int prefetch = 1024;

    /** The interceptors --observe asks for: Micrometer on a SimpleMeterRegistry, OTel spans, every one ended and handed (synchronously) to an exporter that discards it. */
    private MessageBus.Builder observed(MessageBus.Builder b, java.util.List<AutoCloseable> closing) {
        if (observe.equals("metrics") || observe.equals("both")) {
            b.interceptor(dev.courier.micrometer.CourierMetrics.of(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
        }
        if (observe.equals("tracing") || observe.equals("both")) {
            io.opentelemetry.sdk.trace.SdkTracerProvider provider = io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                    .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(new Discard()))
                    .build();
            closing.add(provider);
            b.interceptor(dev.courier.opentelemetry.CourierTracing.create(
                    io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(provider).build()));
        }
        return b;
    }

    /** An exporter that drops every span: the cost measured is making them, not shipping them. */
    private static final class Discard implements io.opentelemetry.sdk.trace.export.SpanExporter {
        @Override
        public io.opentelemetry.sdk.common.CompletableResultCode export(
                java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
            return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
        }

        @Override
        public io.opentelemetry.sdk.common.CompletableResultCode flush() {
            return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
        }

        @Override
        public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
            return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
        }
    }

    private Result courier(int messages) throws Exception {
        InMemoryBroker broker = InMemoryBroker.create(queueCapacity, 1_000);
        Tally tally = new Tally(messages);
        java.util.List<AutoCloseable> closing = new java.util.ArrayList<>();
        MessageBus sink = observed(MessageBus.builder("bench-sink"), closing).transport(broker.connect())
                .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(prefetch)
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    tally.record(p);
                }).build().start();
        MessageBus pub = observed(MessageBus.builder("bench-pub"), closing).transport(broker.connect())
                .produces(BenchPayload.class).build().start();
        dev.courier.bench.ThreadCost cost = dev.courier.bench.ThreadCost.start();
        long t0 = System.nanoTime();
        CompletableFuture<Void> last = null;
        for (int i = 0; i < messages; i++) {
            last = pub.publish(BenchPayload.of(i));
        }
        last.get(60, TimeUnit.SECONDS);
        try {
            tally.all().get(120, TimeUnit.SECONDS);
        } catch (Exception timeout) {
            // fall through: lost is reported
        }
        long took = System.nanoTime() - t0;
        if (threads) {
            System.err.print(cost.report("courier", messages));
        }
        pub.close();
        sink.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
        long lost = tally.lost();
        return new Result(messages / (took / 1e9), tally.stats(), lost, tally.duplicates());
    }

    /** The same encode/decode work and headers, with a plain queue between two threads. */
    private double baseline(int messages) throws Exception {
        ObjectMapper mapper = JsonPayloadCodec.defaultMapper();
        BlockingQueue<Object[]> queue = new ArrayBlockingQueue<>(65_536);
        AtomicLong consumed = new AtomicLong();
        java.util.concurrent.CountDownLatch finished = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch reported = new java.util.concurrent.CountDownLatch(1);
        Thread consumer = new Thread(() -> {
            try {
                for (int i = 0; i < messages; i++) {
                    Object[] m = queue.take();
                    @SuppressWarnings("unchecked")
                    Map<String, String> h = (Map<String, String>) m[0];
                    BenchPayload p = mapper.readValue((byte[]) m[1], BenchPayload.class);
                    if (p.seq() >= 0 && h.get("id") != null) {
                        consumed.incrementAndGet();
                    }
                }
                finished.countDown();
                reported.await(); // alive until its CPU time is read
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                finished.countDown();
            }
        });
        dev.courier.bench.ThreadCost cost = dev.courier.bench.ThreadCost.start();
        consumer.start();
        long t0 = System.nanoTime();
        for (int i = 0; i < messages; i++) {
            Map<String, String> h = new HashMap<>(16);
            String id = UUID.randomUUID().toString();
            h.put("id", id);
            h.put("source", "bench-pub");
            h.put("type", "v1.bench.measured");
            h.put("time", Instant.now().toString());
            h.put("specversion", "1.0");
            h.put("datacontenttype", "application/json");
            h.put("correlationid", id);
            queue.put(new Object[] {h, mapper.writeValueAsBytes(BenchPayload.of(i))});
        }
        finished.await();
        long took = System.nanoTime() - t0;
        if (threads) {
            System.err.print(cost.report("baseline", messages));
        }
        reported.countDown();
        consumer.join();
        if (consumed.get() != messages) {
            throw new IllegalStateException("baseline consumed " + consumed + " of " + messages);
        }
        return messages / (took / 1e9);
    }
}
