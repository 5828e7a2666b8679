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
        return frame(seq, "p" + seq);
    }

    /** {@link #frame(long)} with the sender's sequence attribute {@code wireSeq}. */
    static String frame(long seq, String wireSeq) throws Exception {
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
        b.append("\"courierwsto\":\"event:v1.bench.measured\",\"courierwsseq\":\"").append(wireSeq).append("\",\"data\":");
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

    /**
     * The raw baseline of ws-throughput, with the semantics Courier's hub gives: each publish is confirmed
     * to its publisher once the relay took it (a small {@code {"confirm":"p<n>"}} frame naming its
     * sequence), and the subscriber gets at most {@code prefetch} frames it has not acked; each is held
     * (by its delivery number, to give again) until the subscriber's {@code {"ack":<n>}} frame. The rest
     * wait in the relay. Frames move as they are: no parsing in the relay, only the sequence found by
     * index.
     */
    static final class AckingRelay extends WebSocketServer {
        final CountDownLatch started = new CountDownLatch(1);
        private final CountDownLatch subscribed = new CountDownLatch(1);
        private final int prefetch;
        private volatile WebSocket subscriber;
        /** Delivered, not yet acked, by delivery number (guarded by this). */
        private final Map<Long, String> unacked = new java.util.HashMap<>();
        /** Taken, waiting for room in the subscriber's prefetch (guarded by this). */
        private final java.util.ArrayDeque<String> waiting = new java.util.ArrayDeque<>();
        private long delivered; // guarded by this
        /** Batched: confirms of one read run in one frame, acks of many deliveries in one frame. */
        final boolean batch;
        /** Frames through the relay, in and out (publishes, confirms, deliveries, acks). */
        final AtomicLong frames = new AtomicLong();
        /** The publisher's confirms due at the end of its read run (its worker thread's; batch only). */
        private final StringBuilder confirmsDue = new StringBuilder();

        AckingRelay(int prefetch) {
            this(prefetch, false);
        }

        AckingRelay(int prefetch, boolean batch) {
            this(prefetch, batch, new AckingRelay[1]);
        }

        private AckingRelay(int prefetch, boolean batch, AckingRelay[] self) {
            super(new InetSocketAddress("127.0.0.1", 0), 4, batch
                    ? List.of(new RunDraft(ws -> self[0].runEnded(ws))) : List.of(new org.java_websocket.drafts.Draft_6455()));
            self[0] = this;
            this.batch = batch;
            this.prefetch = prefetch;
            setReuseAddr(true);
            setTcpNoDelay(true);
            setDaemon(true);
        }

        void awaitSubscriber() throws InterruptedException {
            if (!subscribed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the raw subscriber did not connect");
            }
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            if (handshake.getResourceDescriptor().contains("sub")) {
                subscriber = conn;
                subscribed.countDown();
            }
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            frames.incrementAndGet();
            if (conn == subscriber) {
                if (message.startsWith("{\"acks\":[")) { // {"acks":[<n>,<n>...]}: each named delivery, no other
                    int at = 9;
                    synchronized (this) {
                        while (at < message.length() - 2) {
                            int end = at;
                            while (message.charAt(end) != ',' && message.charAt(end) != ']') {
                                end++;
                            }
                            acked(Long.parseLong(message, at, end, 10));
                            at = end + 1;
                        }
                    }
                    return;
                }
                long n = Long.parseLong(message, 7, message.length() - 1, 10); // {"ack":<n>}
                synchronized (this) {
                    acked(n);
                }
                return;
            }
            int at = message.indexOf(SEQ_ATTRIBUTE);
            int from = at + SEQ_ATTRIBUTE.length();
            String seq = message.substring(from, message.indexOf('"', from));
            synchronized (this) {
                if (unacked.size() < prefetch && waiting.isEmpty()) {
                    deliver(message);
                } else {
                    waiting.add(message);
                }
            }
            if (batch) {
                confirmsDue.append(confirmsDue.length() == 0 ? "{\"confirms\":[\"" : ",\"").append(seq).append('"');
            } else {
                frames.incrementAndGet();
                conn.send("{\"confirm\":\"" + seq + "\"}");
            }
        }

        /** The end of a read run (batch): the publisher's confirms of the run in one frame. */
        private void runEnded(WebSocket conn) {
            if (conn != subscriber && confirmsDue.length() > 0) {
                frames.incrementAndGet();
                conn.send(confirmsDue.append("]}").toString());
                confirmsDue.setLength(0);
            }
        }

        /** Settles delivery {@code n} and delivers the next waiting frame (under this lock). */
        private void acked(long n) {
            unacked.remove(n);
            String next = waiting.poll();
            if (next != null) {
                deliver(next);
            }
        }

        /** Sends and holds a frame until acked (under this lock, so numbers follow the wire order). */
        private void deliver(String frame) {
            unacked.put(++delivered, frame);
            frames.incrementAndGet();
            subscriber.send(frame);
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

    private static final String SEQ_ATTRIBUTE = "\"courierwsseq\":\"";

    /**
     * RFC 6455 as Java-WebSocket speaks it, calling {@code onRunEnd} once the frames of one socket read are
     * processed: what a raw user writes to batch answers per read run, as Courier's client and hub do.
     */
    static final class RunDraft extends org.java_websocket.drafts.Draft_6455 {
        private final Consumer<org.java_websocket.WebSocketImpl> onRunEnd;
        private int remaining;

        RunDraft(Consumer<org.java_websocket.WebSocketImpl> onRunEnd) {
            this.onRunEnd = onRunEnd;
        }

        @Override
        public List<org.java_websocket.framing.Framedata> translateFrame(java.nio.ByteBuffer buffer)
                throws org.java_websocket.exceptions.InvalidDataException {
            List<org.java_websocket.framing.Framedata> frames = super.translateFrame(buffer);
            remaining = frames.size();
            return frames;
        }

        @Override
        public void processFrame(org.java_websocket.WebSocketImpl ws, org.java_websocket.framing.Framedata frame)
                throws org.java_websocket.exceptions.InvalidDataException {
            try {
                super.processFrame(ws, frame);
            } finally {
                if (--remaining <= 0) {
                    remaining = 0;
                    onRunEnd.accept(ws);
                }
            }
        }

        @Override
        public org.java_websocket.drafts.Draft copyInstance() {
            return new RunDraft(onRunEnd);
        }
    }

    /** The raw subscriber: parses each payload, records it, acks it by its delivery number. */
    static final class RawSubscriber extends WebSocketClient {
        volatile dev.courier.bench.Tally tally = new dev.courier.bench.Tally(1);
        private long received; // the read thread's

        private final boolean batch;
        /** Acks due at the end of the read run (the read thread's; batch only). */
        private final StringBuilder acksDue = new StringBuilder();

        RawSubscriber(URI uri) throws Exception {
            this(uri, false, new RawSubscriber[1]);
        }

        RawSubscriber(URI uri, boolean batch) throws Exception {
            this(uri, batch, new RawSubscriber[1]);
        }

        private RawSubscriber(URI uri, boolean batch, RawSubscriber[] self) throws Exception {
            super(uri, batch ? new RunDraft(ws -> self[0].runEnded()) : new org.java_websocket.drafts.Draft_6455());
            self[0] = this;
            this.batch = batch;
            setTcpNoDelay(true);
            if (!connectBlocking(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("cannot connect to " + uri);
            }
        }

        @Override
        public void onMessage(String message) {
            try {
                tally.record(payload(message));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (batch) {
                acksDue.append(acksDue.length() == 0 ? "{\"acks\":[" : ",").append(++received);
            } else {
                send("{\"ack\":" + (++received) + "}");
            }
        }

        /** The end of a read run (batch): the acks of the run in one frame. */
        private void runEnded() {
            if (acksDue.length() > 0) {
                send(acksDue.append("]}").toString());
                acksDue.setLength(0);
            }
        }

        @Override
        public void onOpen(ServerHandshake h) {
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
        }

        @Override
        public void onError(Exception ex) {
        }
    }

    /**
     * The raw publisher: sends Courier's frame for each payload, numbered {@code p<n>}, at most
     * {@code window} unconfirmed, and settles each publish on its confirm.
     */
    static final class RawPublisher extends WebSocketClient {
        private final java.util.concurrent.Semaphore window;
        private final Map<String, Long> pending = new java.util.concurrent.ConcurrentHashMap<>();
        private final AtomicLong seq = new AtomicLong();
        private volatile CountDownLatch confirmed = new CountDownLatch(0);

        RawPublisher(URI uri, int window) throws Exception {
            super(uri);
            this.window = new java.util.concurrent.Semaphore(window);
            setTcpNoDelay(true);
            if (!connectBlocking(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("cannot connect to " + uri);
            }
        }

        /** Publishes {@code messages} payloads numbered from 0; the latch counts their confirms. */
        CountDownLatch publish(int messages) throws Exception {
            CountDownLatch c = new CountDownLatch(messages);
            confirmed = c;
            for (int i = 0; i < messages; i++) {
                if (!window.tryAcquire(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("raw publisher: no confirms for 120 s");
                }
                String s = "p" + seq.incrementAndGet();
                pending.put(s, System.nanoTime());
                send(frame(i, s));
            }
            return c;
        }

        @Override
        public void onMessage(String message) {
            if (message.startsWith("{\"confirms\":[")) { // {"confirms":["p<n>",...]}: each named publish, no other
                int at = 13;
                while (at < message.length() - 2) {
                    int end = message.indexOf('"', at + 1);
                    confirm(message.substring(at + 1, end));
                    at = end + 2;
                }
                return;
            }
            confirm(message.substring(12, message.length() - 2)); // {"confirm":"p<n>"}
        }

        private void confirm(String s) {
            if (pending.remove(s) != null) {
                window.release();
                confirmed.countDown();
            }
        }

        @Override
        public void onOpen(ServerHandshake h) {
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
        }

        @Override
        public void onError(Exception ex) {
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
