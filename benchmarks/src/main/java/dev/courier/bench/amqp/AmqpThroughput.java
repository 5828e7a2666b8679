package dev.courier.bench.amqp;

import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.internal.JsonCodec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * publish → handler end to end over RabbitMQ: persistent ~200-byte messages, publisher confirms with
 * the same in-flight window, manual acks with the same prefetch; Courier (JSON + dedup) against raw
 * amqp-client doing the same work in the same run.
 */
public final class AmqpThroughput implements Scenario {

    @Override
    public String name() {
        return "amqp-throughput";
    }

    @Override
    public String description() {
        return "RabbitMQ publish→handler, confirms + manual acks, Courier vs raw amqp-client; --messages N --window W"
                + " --prefetch P --concurrency C --uri amqp://...";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 100_000);
        int window = o.getInt("window", 1_000);
        int prefetch = o.getInt("prefetch", 1_000);
        int concurrency = o.getInt("concurrency", 4);
        int warmup = o.getInt("warmup", Math.min(20_000, Math.max(1_000, messages / 5)));
        Runs.raw(o, warmup, window, prefetch, 0);
        Runs.courier(o, warmup, window, prefetch, concurrency, 0);
        Runs.Result raw = Runs.raw(o, messages, window, prefetch, 0);
        Runs.Result sdk = Runs.courier(o, messages, window, prefetch, concurrency, 0);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "amqp");
        row.put("messages", messages);
        row.put("payload_bytes", JsonCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("sdk_msgs_per_s", sdk.msgsPerSecond());
        row.put("baseline_msgs_per_s", raw.msgsPerSecond());
        row.put("ratio", sdk.msgsPerSecond() / raw.msgsPerSecond());
        row.put("sdk_p50_us", sdk.latency().percentileMicros(50));
        row.put("sdk_p99_us", sdk.latency().percentileMicros(99));
        row.put("baseline_p50_us", raw.latency().percentileMicros(50));
        row.put("baseline_p99_us", raw.latency().percentileMicros(99));
        row.put("lost", sdk.lost() + raw.lost());
        row.put("duplicates_handled", sdk.duplicates());
        row.put("window", window);
        row.put("prefetch", prefetch);
        row.put("concurrency", concurrency);
        return List.of(row);
    }
}
