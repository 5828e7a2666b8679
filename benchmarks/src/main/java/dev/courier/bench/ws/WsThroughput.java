package dev.courier.bench.ws;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.websocket.hub.WebSocketHub;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * ~200-byte events publisher → hub → subscriber through Courier (confirms, acks, JSON, dedup) against
 * a raw Java-WebSocket client → relay → client with the same semantics (the relay confirms each publish
 * once it took it, delivers at most {@code prefetch} unacknowledged frames, the subscriber parses each
 * payload and acks it; the publisher keeps at most {@code window} unconfirmed publishes), in the same
 * run: warm-up passes of both, then {@code rounds} interleaved rounds (the order alternates), each
 * ratio reported with its min/median/max and the CPU time each side used per message.
 */
public final class WsThroughput implements Scenario {

    @Override
    public String name() {
        return "ws-throughput";
    }

    @Override
    public String description() {
        return "WebSocket publish→hub→handler (confirms, acks, JSON, dedup) vs a raw Java-WebSocket relay with confirms and acks;"
                + " --messages N --rounds R --warmup W --window W --prefetch P [--only sdk|raw]";
    }

    /** One side's pass: rate, CPU per message, latency of the pass. */
    record Pass(double rate, double cpuMicrosPerMessage, double p50Micros, double p99Micros, double p999Micros,
                long lost, long duplicates, double framesPerMessage) {
    }

    /** One side of the comparison, set up once and measured in passes. */
    interface Side extends AutoCloseable {
        Pass pass(int messages) throws Exception;
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 100_000);
        int rounds = Math.max(1, o.getInt("rounds", 5));
        int warmup = o.getInt("warmup", Math.min(messages, 30_000));
        int window = o.getInt("window", WebSocketConfig.DEFAULT_MAX_IN_FLIGHT);
        int prefetch = o.getInt("prefetch", 1000);
        String only = o.get("only", "both");
        boolean rawBatch = Boolean.parseBoolean(o.get("raw-batch", "true"));
        boolean runRaw = !only.equals("sdk");
        boolean runSdk = !only.equals("raw");
        List<Pass> raw = new ArrayList<>();
        List<Pass> sdk = new ArrayList<>();
        try (Side r = runRaw ? new Raw(window, prefetch, rawBatch) : null; Side c = runSdk ? new Courier(window, prefetch) : null) {
            for (int i = 0; i < 2 && warmup > 0; i++) {
                if (r != null) {
                    r.pass(warmup);
                }
                if (c != null) {
                    c.pass(warmup);
                }
            }
            for (int i = 0; i < rounds; i++) {
                // the order alternates, so that neither side always runs right after the other's garbage
                Pass a = null;
                Pass b = null;
                if (i % 2 == 0) {
                    a = r != null ? r.pass(messages) : null;
                    b = c != null ? c.pass(messages) : null;
                } else {
                    b = c != null ? c.pass(messages) : null;
                    a = r != null ? r.pass(messages) : null;
                }
                if (a != null) {
                    raw.add(a);
                }
                if (b != null) {
                    sdk.add(b);
                }
                System.err.printf("ws-throughput round %d: courier %s, raw %s%s%n", i + 1, describe(b), describe(a),
                        a != null && b != null ? String.format(", ratio %.3f", b.rate / a.rate) : "");
            }
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "ws");
        row.put("messages", messages);
        row.put("rounds", rounds);
        row.put("window", window);
        row.put("prefetch", prefetch);
        row.put("raw_batch", rawBatch);
        row.put("payload_bytes", WsBench.JSON.writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("frame_bytes", WsBench.frame(0).length());
        if (!sdk.isEmpty()) {
            row.put("sdk_msgs_per_s", median(sdk.stream().mapToDouble(Pass::rate).toArray()));
            row.put("sdk_cpu_us_per_msg", median(sdk.stream().mapToDouble(Pass::cpuMicrosPerMessage).toArray()));
            row.put("sdk_frames_per_msg", median(sdk.stream().mapToDouble(Pass::framesPerMessage).toArray()));
        }
        if (!raw.isEmpty()) {
            row.put("baseline_msgs_per_s", median(raw.stream().mapToDouble(Pass::rate).toArray()));
            row.put("baseline_cpu_us_per_msg", median(raw.stream().mapToDouble(Pass::cpuMicrosPerMessage).toArray()));
            row.put("baseline_frames_per_msg", median(raw.stream().mapToDouble(Pass::framesPerMessage).toArray()));
        }
        int matched = Math.min(raw.size(), sdk.size());
        if (matched > 0) {
            double[] ratios = new double[matched];
            for (int i = 0; i < matched; i++) {
                ratios[i] = sdk.get(i).rate / raw.get(i).rate;
            }
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            row.put("ratio", median(ratios));
            row.put("ratio_min", sorted[0]);
            row.put("ratio_max", sorted[sorted.length - 1]);
            row.put("ratios", Arrays.toString(Arrays.stream(ratios).map(x -> Math.round(x * 1000) / 1000.0).toArray()));
        }
        if (!sdk.isEmpty() && !raw.isEmpty()) {
            // what a quiet machine converges to when both sides are CPU-bound: raw CPU per message / Courier's
            row.put("cpu_ratio", median(raw.stream().mapToDouble(Pass::cpuMicrosPerMessage).toArray())
                    / median(sdk.stream().mapToDouble(Pass::cpuMicrosPerMessage).toArray()));
        }
        if (!sdk.isEmpty()) {
            row.put("sdk_p50_us", median(sdk.stream().mapToDouble(Pass::p50Micros).toArray()));
            row.put("sdk_p99_us", median(sdk.stream().mapToDouble(Pass::p99Micros).toArray()));
            row.put("sdk_p999_us", median(sdk.stream().mapToDouble(Pass::p999Micros).toArray()));
            row.put("lost", sdk.stream().mapToLong(Pass::lost).sum());
            row.put("duplicates_handled", sdk.stream().mapToLong(Pass::duplicates).sum());
        }
        if (!raw.isEmpty()) {
            row.put("baseline_p50_us", median(raw.stream().mapToDouble(Pass::p50Micros).toArray()));
            row.put("baseline_p99_us", median(raw.stream().mapToDouble(Pass::p99Micros).toArray()));
            row.put("baseline_p999_us", median(raw.stream().mapToDouble(Pass::p999Micros).toArray()));
            row.put("baseline_lost", raw.stream().mapToLong(Pass::lost).sum());
        }
        return List.of(row);
    }

    private static String describe(Pass p) {
        return p == null ? "-" : String.format("%.0f msg/s (%.1f µs CPU/msg, %.2f frames/msg)", p.rate, p.cpuMicrosPerMessage,
                p.framesPerMessage);
    }

    static double median(double[] xs) {
        double[] c = xs.clone();
        Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /** CPU time of the whole process (every thread), in nanoseconds. */
    static long cpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean s ? s.getProcessCpuTime() : 0;
    }

    /** Courier: publisher bus → hub → subscriber bus (confirms, acks, JSON, dedup, handler). */
    private static final class Courier implements Side {
        private final WebSocketHub hub;
        private final MessageBus sink;
        private final MessageBus pub;
        private final AtomicReference<Tally> tally = new AtomicReference<>(new Tally(1));

        Courier(int window, int prefetch) {
            hub = WsBench.hub(4);
            sink = MessageBus.builder("bench-sink")
                    .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(window).build()))
                    .deduplicationStore(InMemoryDeduplicationStore.of(1_000_000, Duration.ofHours(1)))
                    .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(prefetch)
                    .onEvent(BenchPayload.class, (p, ctx) -> tally.get().record(p)).build().start();
            pub = MessageBus.builder("bench-pub")
                    .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(window).build()))
                    .publishTimeout(Duration.ofSeconds(120)).produces(BenchPayload.class).build().start();
        }

        @Override
        public Pass pass(int messages) throws Exception {
            Tally t = new Tally(messages);
            tally.set(t);
            CountDownLatch confirmed = new CountDownLatch(messages);
            long frames0 = dev.courier.websocket.protocol.WireFrames.framesWritten();
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                pub.publish(BenchPayload.of(i)).whenComplete((x, e) -> {
                    if (e == null) {
                        confirmed.countDown();
                    }
                });
            }
            if (!confirmed.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("courier: " + confirmed.getCount() + " publishes not confirmed");
            }
            t.all().get(120, TimeUnit.SECONDS);
            long took = System.nanoTime() - t0;
            long cpu = cpuNanos() - cpu0;
            // every frame Courier's client and hub wrote (publishes, confirms, deliveries, acks; the last acks
            // may still be on their way: counted when queued)
            double frames = (dev.courier.websocket.protocol.WireFrames.framesWritten() - frames0) / (double) messages;
            return new Pass(messages / (took / 1e9), cpu / 1e3 / messages, t.stats().percentileMicros(50),
                    t.stats().percentileMicros(99), t.stats().percentileMicros(99.9), t.lost(), t.duplicates(), frames);
        }

        @Override
        public void close() {
            pub.close();
            sink.close();
            hub.close();
        }
    }

    /** The raw baseline: Java-WebSocket publisher → relay (confirm, prefetch window) → subscriber (parse, ack). */
    private static final class Raw implements Side {
        private final WsBench.AckingRelay relay;
        private final WsBench.RawSubscriber sub;
        private final WsBench.RawPublisher pub;

        Raw(int window, int prefetch, boolean batch) throws Exception {
            relay = new WsBench.AckingRelay(prefetch, batch);
            relay.start();
            if (!relay.started.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the raw relay did not start");
            }
            sub = new WsBench.RawSubscriber(relay.uri("sub"), batch);
            relay.awaitSubscriber();
            pub = new WsBench.RawPublisher(relay.uri("pub"), window);
        }

        @Override
        public Pass pass(int messages) throws Exception {
            Tally t = new Tally(messages);
            sub.tally = t;
            long frames0 = relay.frames.get();
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            CountDownLatch confirmed = pub.publish(messages);
            if (!confirmed.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("raw: " + confirmed.getCount() + " publishes not confirmed");
            }
            t.all().get(120, TimeUnit.SECONDS);
            long took = System.nanoTime() - t0;
            long cpu = cpuNanos() - cpu0;
            double frames = (relay.frames.get() - frames0) / (double) messages;
            return new Pass(messages / (took / 1e9), cpu / 1e3 / messages, t.stats().percentileMicros(50),
                    t.stats().percentileMicros(99), t.stats().percentileMicros(99.9), t.lost(), t.duplicates(), frames);
        }

        @Override
        public void close() throws Exception {
            pub.closeBlocking();
            sub.closeBlocking();
            relay.stop(1000);
        }
    }
}
