package dev.courier.bench.ws;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import org.java_websocket.client.WebSocketClient;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * ~200-byte events publisher → hub → subscriber through Courier (confirms, acks, JSON, dedup) against
 * a raw Java-WebSocket client → relay server → client moving the same frames, in the same run.
 */
public final class WsThroughput implements Scenario {

    @Override
    public String name() {
        return "ws-throughput";
    }

    @Override
    public String description() {
        return "WebSocket publish→hub→handler (confirms, acks, JSON, dedup) vs a raw Java-WebSocket relay of the same frames; --messages N";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 100_000);
        int warmup = o.getInt("warmup", Math.min(20_000, messages / 5));
        baseline(warmup);
        courier(warmup);
        double base = baseline(messages);
        Result sdk = courier(messages);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "ws");
        row.put("messages", messages);
        row.put("payload_bytes", WsBench.JSON.writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("frame_bytes", WsBench.frame(0).length());
        row.put("sdk_msgs_per_s", sdk.rate);
        row.put("baseline_msgs_per_s", base);
        row.put("ratio", sdk.rate / base);
        row.put("sdk_p50_us", sdk.stats.percentileMicros(50));
        row.put("sdk_p99_us", sdk.stats.percentileMicros(99));
        row.put("sdk_p999_us", sdk.stats.percentileMicros(99.9));
        row.put("lost", sdk.lost);
        row.put("duplicates_handled", sdk.duplicates);
        return List.of(row);
    }

    private record Result(double rate, Stats stats, long lost, long duplicates) {
    }

    private Result courier(int messages) throws Exception {
        try (WebSocketHub hub = WsBench.hub(4)) {
            Tally tally = new Tally(messages);
            MessageBus sink = MessageBus.builder("bench-sink")
                    .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(messages + 1000).build()))
                    .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                    .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(1000)
                    .onEvent(BenchPayload.class, (p, ctx) -> {
                        tally.record(p);
                    }).build().start();
            MessageBus pub = MessageBus.builder("bench-pub")
                    .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(messages + 1000).build()))
                    .publishTimeout(Duration.ofSeconds(120)).produces(BenchPayload.class).build().start();
            long t0 = System.nanoTime();
            CompletableFuture<Void> last = null;
            for (int i = 0; i < messages; i++) {
                last = pub.publish(BenchPayload.of(i));
            }
            last.get(120, TimeUnit.SECONDS);
            WsBench.await(tally::handled, messages, 120);
            long took = System.nanoTime() - t0;
            pub.close();
            sink.close();
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates());
        }
    }

    /** The same frames, client → relay → client, the receiver parsing each payload. */
    private double baseline(int messages) throws Exception {
        WsBench.RawRelay relay = new WsBench.RawRelay();
        relay.start();
        relay.started.await(10, TimeUnit.SECONDS);
        try {
            AtomicLong received = new AtomicLong();
            WebSocketClient sub = WsBench.rawClient(relay.uri("sub"), text -> {
                try {
                    if (WsBench.payload(text).seq() >= 0) {
                        received.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            while (relay.subscribers.isEmpty()) {
                Thread.sleep(1);
            }
            WebSocketClient pub = WsBench.rawClient(relay.uri("pub"), text -> { });
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                pub.send(WsBench.frame(i));
            }
            WsBench.await(received::get, messages, 120);
            long took = System.nanoTime() - t0;
            pub.closeBlocking();
            sub.closeBlocking();
            if (received.get() != messages) {
                throw new IllegalStateException("baseline received " + received + " of " + messages);
            }
            return messages / (took / 1e9);
        } finally {
            relay.stop(1000);
        }
    }
}
