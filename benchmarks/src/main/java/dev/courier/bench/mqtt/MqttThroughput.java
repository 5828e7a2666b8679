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
 * QoS 1 end-to-end throughput over MQTT 5 (publish → broker → shared-group consumer → handler), Courier vs
 * the raw HiveMQ client doing the same JSON and user properties, in the same process and run.
 */
public final class MqttThroughput implements Scenario {

    @Override
    public String name() {
        return "mqtt-throughput";
    }

    @Override
    public String description() {
        return "MQTT 5 QoS 1 end-to-end msgs/s, Courier vs raw HiveMQ client (same JSON + user properties); --messages N, --uri";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int n = o.getInt("messages", 100_000);
        int warmup = Math.min(n, o.getInt("warmup", 10_000));
        Duration patience = Duration.ofMinutes(5);
        String ns = MqttBench.namespace("tp");
        AtomicLong rawGot = new AtomicLong();
        AtomicLong sdkGot = new AtomicLong();
        Stats rawLat = new Stats();
        Stats sdkLat = new Stats();
        int rounds = o.getInt("rounds", 3);
        double[] rawRates = new double[rounds];
        double[] sdkRates = new double[rounds];
        // raw and Courier alternate, round by round, so a noisy neighbour hurts both alike; medians are reported
        MessageBus sink = null;
        MessageBus pub = null;
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns + "r", p -> {
            rawLat.add(System.nanoTime() - p.sentNanos());
            rawGot.incrementAndGet();
        })) {
            sink = MqttBench.sink(o, ns, sdkGot, sdkLat);
            pub = MqttBench.publisher(o, ns);
            MessageBus p = pub;
            MqttBench.pass(warmup, 0, r::publish, rawGot, rawLat, patience);
            MqttBench.pass(warmup, 0, p::publish, sdkGot, sdkLat, patience);
            for (int i = 0; i < rounds; i++) {
                rawRates[i] = MqttBench.pass(n, 0, r::publish, rawGot, new Stats(), patience).msgsPerSecond();
                sdkRates[i] = MqttBench.pass(n, 0, p::publish, sdkGot, new Stats(), patience).msgsPerSecond();
                System.err.printf("mqtt-throughput round %d: courier %.0f msg/s, raw %.0f msg/s%n", i + 1, sdkRates[i], rawRates[i]);
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
        }
        double rawMedian = MqttBench.median(rawRates);
        double sdkMedian = MqttBench.median(sdkRates);
        long expected = (long) n * rounds + warmup;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("payload_bytes", MqttBench.JSON.writeValueAsBytes(dev.courier.bench.memory.BenchPayload.of(0)).length);
        row.put("rounds", rounds);
        row.put("sdk_msgs_per_s", sdkMedian);
        row.put("baseline_msgs_per_s", rawMedian);
        row.put("ratio", sdkMedian / rawMedian);
        row.put("sdk_p50_us", sdkLat.percentileMicros(50));
        row.put("sdk_p99_us", sdkLat.percentileMicros(99));
        row.put("sdk_p999_us", sdkLat.percentileMicros(99.9));
        row.put("baseline_p50_us", rawLat.percentileMicros(50));
        row.put("baseline_p99_us", rawLat.percentileMicros(99));
        row.put("baseline_p999_us", rawLat.percentileMicros(99.9));
        row.put("lost", expected - sdkGot.get());
        row.put("baseline_lost", expected - rawGot.get());
        row.put("duplicates_handled", Math.max(0, sdkGot.get() - expected));
        return List.of(row);
    }
}
