package dev.courier.bench.amqp;

import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * End-to-end latency over RabbitMQ at a fixed rate, half of the raw client's maximum measured in the
 * same run (or {@code --rate}), measured from each message's intended send time so that stalls are
 * not hidden (no coordinated omission). Courier vs raw amqp-client.
 */
public final class AmqpLatency implements Scenario {

    @Override
    public String name() {
        return "amqp-latency";
    }

    @Override
    public String description() {
        return "RabbitMQ p50/p99/p99.9 at half the raw maximum rate, from the intended send time, Courier vs raw;"
                + " --messages N --rate R; --levels 25,50,75 runs latency-under-load";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        if (o.has("levels")) {
            return new dev.courier.bench.LatencyUnderLoad().run(o.with("transport", "amqp"));
        }
        int messages = o.getInt("messages", 50_000);
        int window = o.getInt("window", 1_000);
        int prefetch = o.getInt("prefetch", 1_000);
        int concurrency = o.getInt("concurrency", 4);
        double max = 0;
        double rate = o.getLong("rate", 0);
        if (rate <= 0) {
            Runs.raw(o, 10_000, window, prefetch, 0); // warm-up
            max = Runs.raw(o, Math.max(20_000, messages / 2), window, prefetch, 0).msgsPerSecond();
            rate = Math.floor(max / 2);
        }
        Runs.courier(o, Math.min(10_000, messages), window, prefetch, concurrency, rate); // warm-up
        Runs.Result raw = Runs.raw(o, messages, window, prefetch, rate);
        Runs.Result sdk = Runs.courier(o, messages, window, prefetch, concurrency, rate);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "amqp");
        row.put("messages", messages);
        row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("sdk_msgs_per_s", sdk.msgsPerSecond());
        row.put("baseline_msgs_per_s", raw.msgsPerSecond());
        row.put("ratio", sdk.msgsPerSecond() / raw.msgsPerSecond());
        row.put("sdk_p50_us", sdk.latency().percentileMicros(50));
        row.put("sdk_p99_us", sdk.latency().percentileMicros(99));
        row.put("sdk_p999_us", sdk.latency().percentileMicros(99.9));
        row.put("baseline_p50_us", raw.latency().percentileMicros(50));
        row.put("baseline_p99_us", raw.latency().percentileMicros(99));
        row.put("baseline_p999_us", raw.latency().percentileMicros(99.9));
        row.put("p99_ratio", sdk.latency().percentileMicros(99) / raw.latency().percentileMicros(99));
        row.put("lost", sdk.lost() + raw.lost());
        row.put("duplicates_handled", sdk.duplicates());
        row.put("rate_per_s", rate);
        row.put("raw_max_per_s", max > 0 ? max : null);
        return List.of(row);
    }
}
