package dev.courier.bench.ws;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.OpenLoop;
import dev.courier.bench.Options;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.websocket.hub.WebSocketHub;
import org.java_websocket.client.WebSocketClient;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The two sides of WebSocket for latency-under-load: Courier publisher → hub → Courier subscriber (the
 * settings of ws-throughput) and the raw Java-WebSocket client → relay → client moving the same frames,
 * the receiver parsing each payload.
 */
public final class WsLoad {
    private WsLoad() {
    }

    /**
     * A hub on loopback with a connected Courier publisher and sink bus.
     *
     * @param o        --inflight (publish window, 10000)
     * @param receiver where the sink's handler hands each payload
     * @param messages how many messages the run will send in all (sizes the deduplication store)
     * @return the target; closing it stops the hub
     */
    public static OpenLoop.Target courier(Options o, OpenLoop.Receiver receiver, int messages) {
        WebSocketHub hub = WsBench.hub(4);
        int inFlight = o.getInt("inflight", 10_000);
        MessageBus sink = MessageBus.builder("bench-sink")
                .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(inFlight).build()))
                .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                .retryPolicy(RetryPolicy.none()).concurrency(1).prefetch(1000)
                .onEvent(BenchPayload.class, (p, ctx) -> receiver.accept(p)).build().start();
        MessageBus pub = MessageBus.builder("bench-pub")
                .transport(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(WsBench.TOKEN).maxInFlight(inFlight).build()))
                .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) {
                pub.publish(payload);
            }

            @Override
            public void close() {
                pub.close();
                sink.close();
                hub.close();
            }
        };
    }

    /**
     * A raw relay server on loopback with a connected raw publisher and subscriber client.
     *
     * @param receiver where the subscriber hands each parsed payload
     * @return the target; closing it stops the relay
     * @throws Exception when the relay does not start
     */
    public static OpenLoop.Target raw(OpenLoop.Receiver receiver) throws Exception {
        WsBench.RawRelay relay = new WsBench.RawRelay();
        relay.start();
        if (!relay.started.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("relay did not start");
        }
        WebSocketClient sub = WsBench.rawClient(relay.uri("sub"), text -> {
            try {
                receiver.accept(WsBench.payload(text));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        WsBench.await(relay.subscribers::size, 1, 10);
        WebSocketClient pub = WsBench.rawClient(relay.uri("pub"), text -> { });
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) throws Exception {
                pub.send(frame(payload));
            }

            @Override
            public void close() throws Exception {
                pub.closeBlocking();
                sub.closeBlocking();
                relay.stop(1000);
            }
        };
    }

    /** The frame Courier puts on the wire for {@code p} (as {@link WsBench#frame(long)}, with a given payload). */
    static String frame(BenchPayload p) throws Exception {
        String id = UUID.randomUUID().toString();
        return new StringBuilder(512).append("{\"id\":\"").append(id).append("\",\"source\":\"bench-pub\",")
                .append("\"type\":\"v1.bench.measured\",\"time\":\"").append(Instant.now())
                .append("\",\"specversion\":\"1.0\",\"datacontenttype\":\"application/json\",\"correlationid\":\"")
                .append(id).append("\",\"courierwsto\":\"event:v1.bench.measured\",\"courierwsseq\":\"p").append(p.seq())
                .append("\",\"data\":").append(new String(WsBench.JSON.writeValueAsBytes(p), StandardCharsets.UTF_8))
                .append('}').toString();
    }
}
