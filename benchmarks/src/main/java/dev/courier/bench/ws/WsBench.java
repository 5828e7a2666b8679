package dev.courier.bench.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.websocket.hub.Authenticator;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.hub.WebSocketPrincipal;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.server.WebSocketServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Shared pieces of the WebSocket scenarios: a bench hub, the same frames for the raw baseline, raw peers. */
final class WsBench {
    private WsBench() {
    }

    static final String TOKEN = "bench-token";
    static final ObjectMapper JSON = JsonPayloadCodec.defaultMapper();

    /** A hub for benchmarks: loopback, limits opened up so they do not throttle the measurement. */
    static WebSocketHub hub(int connections) {
        return WebSocketHub.builder()
                .authenticator(Authenticator.tokens(Map.of(TOKEN, WebSocketPrincipal.of("bench", "publish:*", "send:*",
                        "subscribe:*", "service:*", "subject:*"))))
                .httpPort(-1)
                .rateLimit(1e9, 1_000_000_000)
                .maxConnections(connections + 10, connections + 10)
                .retention(1_000_000, 1000)
                .maxQueued(1_000_000, 1L << 30)
                .build().start();
    }

    /** The frame Courier puts on the wire for one BenchPayload event (headers, data, address, sequence). */
    static String frame(long seq) throws Exception {
        String id = UUID.randomUUID().toString();
        Map<String, String> h = new LinkedHashMap<>();
        h.put("id", id);
        h.put("source", "bench-pub");
        h.put("type", "v1.bench.measured");
        h.put("time", Instant.now().toString());
        h.put("specversion", "1.0");
        h.put("datacontenttype", "application/json");
        h.put("correlationid", id);
        StringBuilder b = new StringBuilder(512).append('{');
        for (Map.Entry<String, String> e : h.entrySet()) {
            b.append('"').append(e.getKey()).append("\":\"").append(e.getValue()).append("\",");
        }
        b.append("\"courierwsto\":\"event:v1.bench.measured\",\"courierwsseq\":\"p").append(seq).append("\",\"data\":");
        b.append(new String(JSON.writeValueAsBytes(BenchPayload.of(seq)), java.nio.charset.StandardCharsets.UTF_8));
        return b.append('}').toString();
    }

    /** Reads a delivered frame the way a client does: parse, take the payload. */
    static BenchPayload payload(String frame) throws Exception {
        JsonNode n = JSON.readTree(frame);
        return JSON.treeToValue(n.get("data"), BenchPayload.class);
    }

    /** A raw relay server: every text frame from one connection goes to every other connection. */
    static final class RawRelay extends WebSocketServer {
        final CountDownLatch started = new CountDownLatch(1);
        final List<WebSocket> subscribers = new java.util.concurrent.CopyOnWriteArrayList<>();

        RawRelay() {
            super(new InetSocketAddress("127.0.0.1", 0), 4);
            setReuseAddr(true);
            setTcpNoDelay(true);
            setDaemon(true);
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            if (handshake.getResourceDescriptor().contains("sub")) {
                subscribers.add(conn);
            }
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            subscribers.remove(conn);
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            broadcast(message, subscribers);
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
        }

        @Override
        public void onStart() {
            started.countDown();
        }

        URI uri(String path) {
            return URI.create("ws://127.0.0.1:" + getPort() + "/" + path);
        }
    }

    /** A raw Java-WebSocket client that hands every text frame to {@code onText}. */
    static WebSocketClient rawClient(URI uri, Consumer<String> onText) throws Exception {
        WebSocketClient c = new WebSocketClient(uri) {
            @Override
            public void onOpen(ServerHandshake h) {
            }

            @Override
            public void onMessage(String message) {
                onText.accept(message);
            }

            @Override
            public void onClose(int code, String reason, boolean remote) {
            }

            @Override
            public void onError(Exception ex) {
            }
        };
        c.setTcpNoDelay(true);
        if (!c.connectBlocking(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("cannot connect to " + uri);
        }
        return c;
    }

    /** {@code count} java.net.http WebSocket subscribers (no thread each), recording latency per delivered payload. */
    static final class Subscribers {
        final AtomicLong delivered = new AtomicLong();
        final Stats stats;
        final List<java.net.http.WebSocket> sockets = new ArrayList<>();
        final HttpClient http = HttpClient.newHttpClient();

        Subscribers(int expected) {
            stats = new Stats();
        }

        /** Connects {@code count} clients; {@code courier} = through a hub (subscribe personally after the welcome). */
        void connect(URI uri, int count, boolean courier) throws Exception {
            AtomicLong ready = new AtomicLong();
            List<CompletableFuture<java.net.http.WebSocket>> pending = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                java.net.http.WebSocket.Builder b = http.newWebSocketBuilder();
                if (courier) {
                    b.subprotocols("cloudevents.json").header("Authorization", "Bearer " + TOKEN);
                }
                pending.add(b.buildAsync(uri, new java.net.http.WebSocket.Listener() {
                    final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(java.net.http.WebSocket ws, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            String s = partial.toString();
                            partial.setLength(0);
                            if (s.contains("control.v1.welcome")) {
                                ws.sendText("{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"b\","
                                        + "\"type\":\"dev.courier.control.v1.subscribe\",\"courierwsseq\":\"s\","
                                        + "\"data\":{\"sub\":\"p\",\"address\":\"event:v1.bench.measured\"}}", true);
                            } else if (s.contains("control.v1.confirm")) {
                                ready.incrementAndGet();
                            } else {
                                try {
                                    BenchPayload p = payload(s);
                                    stats.add(System.nanoTime() - p.sentNanos());
                                    delivered.incrementAndGet();
                                } catch (Exception e) {
                                    // not a payload
                                }
                            }
                        }
                        ws.request(1);
                        return null;
                    }
                }));
            }
            for (CompletableFuture<java.net.http.WebSocket> f : pending) {
                sockets.add(f.get(60, TimeUnit.SECONDS));
            }
            if (courier) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ready.get() < count && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
            }
        }

        void close() {
            for (java.net.http.WebSocket ws : sockets) {
                ws.abort();
            }
        }
    }

    static void await(java.util.function.LongSupplier value, long target, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (value.getAsLong() < target && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }
}
