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
        Stats rawLat = new Stats(n + warmup);
        Stats sdkLat = new Stats(n + warmup);
        MqttBench.Pass raw;
        MqttBench.Pass sdk;
        try (MqttBench.Raw r = new MqttBench.Raw(o, ns, p -> {
            rawLat.add(System.nanoTime() - p.sentNanos());
            rawGot.incrementAndGet();
        })) {
            MqttBench.pass(warmup, 0, r::publish, rawGot, rawLat, patience);
            raw = MqttBench.pass(n, 0, r::publish, rawGot, new Stats(1), patience);
        }
        MessageBus sink = MqttBench.sink(o, ns, sdkGot, sdkLat);
        MessageBus pub = MqttBench.publisher(o, ns);
        try {
            MqttBench.pass(warmup, 0, pub::publish, sdkGot, sdkLat, patience);
            sdk = MqttBench.pass(n, 0, pub::publish, sdkGot, new Stats(1), patience);
        } finally {
            pub.close();
            sink.close();
            MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub", "raw"));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("payload_bytes", MqttBench.JSON.writeValueAsBytes(dev.courier.bench.memory.BenchPayload.of(0)).length);
        row.put("sdk_msgs_per_s", sdk.msgsPerSecond());
        row.put("baseline_msgs_per_s", raw.msgsPerSecond());
        row.put("ratio", sdk.msgsPerSecond() / raw.msgsPerSecond());
        row.put("sdk_p50_us", sdkLat.percentileMicros(50));
        row.put("sdk_p99_us", sdkLat.percentileMicros(99));
        row.put("baseline_p50_us", rawLat.percentileMicros(50));
        row.put("baseline_p99_us", rawLat.percentileMicros(99));
        row.put("lost", (n + warmup) - sdkGot.get());
        row.put("baseline_lost", (n + warmup) - rawGot.get());
        row.put("duplicates_handled", Math.max(0, sdkGot.get() - (n + warmup)));
        return List.of(row);
    }
}
