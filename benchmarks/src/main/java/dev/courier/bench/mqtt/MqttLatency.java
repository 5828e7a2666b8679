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
        return "MQTT 5 publish→handler latency p50/p99 at half the raw maximum rate (or --rate), Courier vs raw; --messages N";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int n = o.getInt("messages", 20_000);
        Duration patience = Duration.ofMinutes(5);
        String ns = MqttBench.namespace("lat");
        AtomicLong rawGot = new AtomicLong();
        AtomicLong sdkGot = new AtomicLong();
        Stats rawLat = new Stats(n);
        Stats sdkLat = new Stats(n);
        double rate;
        MqttBench.Pass raw;
        MqttBench.Pass sdk;
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns + "m", p -> rawGot.incrementAndGet())) {
            double max = MqttBench.pass(Math.max(n, 20_000), 0, r::publish, rawGot, new Stats(1), patience).msgsPerSecond();
            rate = o.has("rate") ? o.getLong("rate", 1000) : max / 2;
        }
        rawGot.set(0);
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns, p -> {
            rawLat.add(System.nanoTime() - p.sentNanos());
            rawGot.incrementAndGet();
        })) {
            raw = MqttBench.pass(n, rate, r::publish, rawGot, rawLat, patience);
        }
        MessageBus sink = MqttBench.sink(o, ns, sdkGot, sdkLat);
        MessageBus pub = MqttBench.publisher(o, ns);
        try {
            sdk = MqttBench.pass(n, rate, pub::publish, sdkGot, sdkLat, patience);
        } finally {
            pub.close();
            sink.close();
            MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub", "raw"));
            MqttBench.cleanUp(o, ns + "m", List.of("raw"));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("payload_bytes", MqttBench.JSON.writeValueAsBytes(dev.courier.bench.memory.BenchPayload.of(0)).length);
        row.put("rate_per_s", rate);
        row.put("sdk_msgs_per_s", sdk.msgsPerSecond());
        row.put("baseline_msgs_per_s", raw.msgsPerSecond());
        row.put("ratio", sdk.msgsPerSecond() / raw.msgsPerSecond());
        row.put("sdk_p50_us", sdkLat.percentileMicros(50));
        row.put("sdk_p99_us", sdkLat.percentileMicros(99));
        row.put("baseline_p50_us", rawLat.percentileMicros(50));
        row.put("baseline_p99_us", rawLat.percentileMicros(99));
        row.put("p99_ratio", sdkLat.percentileMicros(99) / rawLat.percentileMicros(99));
        row.put("lost", n - sdkGot.get());
        row.put("duplicates_handled", Math.max(0, sdkGot.get() - n));
        return List.of(row);
    }
}
