package dev.courier.bench.ws;

import dev.courier.MessageBus;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import org.java_websocket.client.WebSocketClient;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One publisher, N subscribers (browser-like java.net.http connections with personal subscriptions)
 * through the hub, against a raw Java-WebSocket server broadcasting the same frames to N clients.
 */
public final class WsFanout implements Scenario {

    @Override
    public String name() {
        return "ws-fanout";
    }

    @Override
    public String description() {
        return "one publisher → hub → N personal subscribers vs a raw Java-WebSocket broadcast; --messages M --subscribers N";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int messages = o.getInt("messages", 100);
        int subscribers = o.getInt("subscribers", 1000);
        long expected = (long) messages * subscribers;
        WsBench.Subscribers base = new WsBench.Subscribers((int) Math.min(expected, 2_000_000));
        double baseRate = baseline(messages, subscribers, base);
        WsBench.Subscribers sdk = new WsBench.Subscribers((int) Math.min(expected, 2_000_000));
        double sdkRate = courier(messages, subscribers, sdk);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "ws");
        row.put("messages", messages);
        row.put("subscribers", subscribers);
        row.put("payload_bytes", WsBench.JSON.writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("sdk_msgs_per_s", sdkRate);
        row.put("baseline_msgs_per_s", baseRate);
        row.put("ratio", sdkRate / baseRate);
        row.put("sdk_p50_us", sdk.stats.percentileMicros(50));
        row.put("sdk_p99_us", sdk.stats.percentileMicros(99));
        row.put("sdk_p999_us", sdk.stats.percentileMicros(99.9));
        row.put("baseline_p99_us", base.stats.percentileMicros(99));
        row.put("baseline_p999_us", base.stats.percentileMicros(99.9));
        row.put("lost", expected - sdk.delivered.get());
        row.put("duplicates_handled", 0);
        return List.of(row);
    }

    private double courier(int messages, int subscribers, WsBench.Subscribers subs) throws Exception {
        try (WebSocketHub hub = WsBench.hub(subscribers + 4)) {
            subs.connect(hub.uri(), subscribers, true);
            MessageBus pub = MessageBus.builder("bench-pub")
                    .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).build()))
                    .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
            long expected = (long) messages * subscribers;
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                // an operator event every tab may see (subject:* grant); delivered/s counts per subscriber
                pub.publish(BenchPayload.of(i), Map.of("subject", "all"));
            }
            WsBench.await(subs.delivered::get, expected, 120);
            long took = System.nanoTime() - t0;
            pub.close();
            subs.close();
            return subs.delivered.get() / (took / 1e9);
        }
    }

    private double baseline(int messages, int subscribers, WsBench.Subscribers subs) throws Exception {
        WsBench.RawRelay relay = new WsBench.RawRelay();
        relay.start();
        relay.started.await(10, TimeUnit.SECONDS);
        try {
            subs.connect(relay.uri("sub"), subscribers, false);
            while (relay.subscribers.size() < subscribers) {
                Thread.sleep(1);
            }
            WebSocketClient pub = WsBench.rawClient(relay.uri("pub"), text -> { });
            long expected = (long) messages * subscribers;
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                pub.send(WsBench.frame(i));
            }
            WsBench.await(subs.delivered::get, expected, 120);
            long took = System.nanoTime() - t0;
            pub.closeBlocking();
            subs.close();
            return subs.delivered.get() / (took / 1e9);
        } finally {
            relay.stop(1000);
        }
    }
}
