package dev.courier.bench.mqtt;

import dev.courier.MessageBus;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end latency over MQTT 5 at a steady rate: half the raw client's measured maximum unless
 * {@code --rate} is given. Courier and the raw HiveMQ client at the same rate in the same run.
 */
public final class MqttLatency implements Scenario {

    @Override
    public String name() {
        return "mqtt-latency";
    }

    @Override
    public String description() {
        return "MQTT 5 publish→handler latency p50/p99/p99.9 at half the raw maximum rate (or --rate), Courier vs raw; --messages N; --levels 25,50,75 runs latency-under-load";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        if (o.has("levels")) {
            return new dev.courier.bench.LatencyUnderLoad().run(o.with("transport", "mqtt"));
        }
        int n = o.getInt("messages", 20_000);
        Duration patience = Duration.ofMinutes(5);
        String ns = MqttBench.namespace("lat");
        AtomicLong rawGot = new AtomicLong();
        AtomicLong sdkGot = new AtomicLong();
        double rate;
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns + "m", p -> rawGot.incrementAndGet())) {
            double max = MqttBench.pass(Math.max(n, 20_000), 0, r::publish, rawGot, new Stats(), patience).msgsPerSecond();
            rate = o.has("rate") ? o.getLong("rate", 1000) : max / 2;
        }
        rawGot.set(0);
        int rounds = o.getInt("rounds", 3);
        double[] rawP99 = new double[rounds];
        double[] sdkP99 = new double[rounds];
        double[] rawP50 = new double[rounds];
        double[] sdkP50 = new double[rounds];
        double[] rawP999 = new double[rounds];
        double[] sdkP999 = new double[rounds];
        Stats[] current = {new Stats(), new Stats()};
        MessageBus sink = null;
        MessageBus pub = null;
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns + "r", p -> {
            current[0].add(System.nanoTime() - p.sentNanos());
            rawGot.incrementAndGet();
        })) {
            sink = MessageBus.builder("bench-sink").instanceId("b1").transport(MqttBench.transport(o, ns))
                    .concurrency(o.getInt("concurrency", 4)).prefetch(o.getInt("prefetch", 1000))
                    .onEvent(dev.courier.bench.memory.BenchPayload.class, (p, ctx) -> {
                        current[1].add(System.nanoTime() - p.sentNanos());
                        sdkGot.incrementAndGet();
                    }).build().start();
            pub = MqttBench.publisher(o, ns);
            MessageBus pb = pub;
            for (int i = 0; i < rounds; i++) {
                current[0] = new Stats();
                MqttBench.pass(n, rate, r::publish, rawGot, current[0], patience);
                rawP50[i] = current[0].percentileMicros(50);
                rawP99[i] = current[0].percentileMicros(99);
                rawP999[i] = current[0].percentileMicros(99.9);
                current[1] = new Stats();
                MqttBench.pass(n, rate, pb::publish, sdkGot, current[1], patience);
                sdkP50[i] = current[1].percentileMicros(50);
                sdkP99[i] = current[1].percentileMicros(99);
                sdkP999[i] = current[1].percentileMicros(99.9);
                System.err.printf("mqtt-latency round %d at %.0f/s: courier p50 %.0f us p99 %.0f us; raw p50 %.0f us p99 %.0f us%n",
                        i + 1, rate, sdkP50[i], sdkP99[i], rawP50[i], rawP99[i]);
            }
        } finally {
            if (pub != null) {
                pub.close();
            }
            if (sink != null) {
                sink.close();
            }
            MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub"));
            MqttBench.cleanUp(o, ns + "r", List.of("raw"));
            MqttBench.cleanUp(o, ns + "m", List.of("raw"));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("payload_bytes", MqttBench.JSON.writeValueAsBytes(dev.courier.bench.memory.BenchPayload.of(0)).length);
        row.put("rate_per_s", rate);
        row.put("rounds", rounds);
        row.put("sdk_msgs_per_s", rate);
        row.put("baseline_msgs_per_s", rate);
        row.put("ratio", 1.0);
        row.put("sdk_p50_us", MqttBench.median(sdkP50));
        row.put("sdk_p99_us", MqttBench.median(sdkP99));
        row.put("sdk_p999_us", MqttBench.median(sdkP999));
        row.put("baseline_p50_us", MqttBench.median(rawP50));
        row.put("baseline_p99_us", MqttBench.median(rawP99));
        row.put("baseline_p999_us", MqttBench.median(rawP999));
        row.put("p99_ratio", MqttBench.median(sdkP99) / MqttBench.median(rawP99));
        row.put("lost", (long) n * rounds - sdkGot.get());
        row.put("duplicates_handled", Math.max(0, sdkGot.get() - (long) n * rounds));
        return List.of(row);
    }
}
