package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each security control of the hub, one test each, over real sockets on 127.0.0.1. */
class HubSecurityTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private WebSocketHub hub(WebSocketHub.Builder b) {
        return keep(b.build().start());
    }

    static String message(String to, String type, String seq, String extra) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"t\",\"type\":\"" + type
                + "\",\"datacontenttype\":\"application/json\"" + extra + ",\"courierwsto\":\"" + to
                + "\",\"courierwsseq\":\"" + seq + "\",\"data\":{\"n\":1}}";
    }

    static String control(String type, String seq, String data) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"t\",\"type\":\"dev.courier.control.v1."
                + type + "\",\"courierwsseq\":\"" + seq + "\",\"data\":" + data + "}";
    }

    @Test
    void unauthenticatedHandshakeIsRefusedWith401BeforeAnyFrame() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder());
        assertEquals(401, RawClient.refusedStatus(hub.uri(), null, null), "no token");
        assertEquals(401, RawClient.refusedStatus(hub.uri(), "wrong-token", null), "unknown token");
        RawClient ok = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        ok.await(RawClient.type(Frames.WELCOME), "an authenticated client is welcomed");
        Await.until(Duration.ofSeconds(5), () -> hub.connectionCount() == 1, () -> "refused handshakes hold no connection");
    }

    @Test
    void browsersAuthenticateWithTheSubprotocolTokenOrAOneTimeTicket() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().httpPort(0));
        java.net.http.WebSocket.Builder b = RawClient.HTTP.newWebSocketBuilder()
                .subprotocols("cloudevents.json", "courier.token." + TestHubs.ALICE_TOKEN);
        RawClient viaProtocol = new RawClient();
        viaProtocol.ws = b.buildAsync(hub.uri(), viaProtocol).get(10, TimeUnit.SECONDS);
        keep(viaProtocol);
        assertEquals("cloudevents.json", viaProtocol.ws.getSubprotocol(), "the token entry is never echoed");
        viaProtocol.await(RawClient.type(Frames.WELCOME), "welcome via subprotocol token");

        java.net.http.HttpResponse<String> r = RawClient.HTTP.send(java.net.http.HttpRequest.newBuilder(hub.httpUri().resolve("/courier/ticket"))
                .header("Authorization", "Bearer " + TestHubs.BOB_TOKEN).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        String ticket = RawClient.JSON.readTree(r.body()).path("ticket").asText();
        java.net.URI withTicket = java.net.URI.create(hub.uri() + "?ticket=" + ticket);
        RawClient viaTicket = keep(RawClient.connect(withTicket, null, null));
        assertEquals("bob", viaTicket.await(RawClient.type(Frames.WELCOME), "welcome via ticket").path("data").path("principal").asText());
        assertEquals(401, RawClient.refusedStatus(withTicket, null, null), "a ticket works once");
    }

    @Test
    void originOutsideTheAllowlistIsRefusedWith403() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().allowedOrigins("https://shop.example"));
        assertEquals(403, RawClient.refusedStatus(hub.uri(), TestHubs.ALICE_TOKEN, "https://evil.example"));
        keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, "https://shop.example"))
                .await(RawClient.type(Frames.WELCOME), "an allowed origin connects");
        keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null))
                .await(RawClient.type(Frames.WELCOME), "a non-browser client without Origin connects");
    }

    @Test
    void forbiddenOperationGetsAnErrorFrameAndNothingIsDelivered() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder());
        RawClient service = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        service.send(control("subscribe", "s1", "{\"sub\":\"a\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\"}"));
        service.await(RawClient.type(Frames.CONFIRM), "service subscribed");
        RawClient alice = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        alice.send(message("event:v1.kit.pinged", "v1.kit.pinged", "x1", ""));
        alice.await(RawClient.error("forbidden"), "alice may not publish v1.kit.pinged");
        alice.send(control("subscribe", "x2", "{\"sub\":\"b\",\"address\":\"command:v1.kit.ping\",\"group\":\"svc\"}"));
        alice.await(n -> RawClient.error("forbidden").test(n) && "x2".equals(n.path("data").path("seq").asText()),
                "alice may not join service svc");
        alice.send(control("deadletters.browse", "x3", "{\"service\":\"svc\",\"max\":10}"));
        alice.await(n -> RawClient.error("forbidden").test(n) && "x3".equals(n.path("data").path("seq").asText()),
                "alice may not read svc's dead letters");
        Await.stays(Duration.ofMillis(300), () -> service.frames.stream().noneMatch(n -> n.has("courierwstag")),
                () -> "a forbidden publish must deliver nothing");
    }

    @Test
    void rateLimitRefusesFramesPastTheBurst() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().rateLimit(1, 5));
        RawClient alice = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        alice.await(RawClient.type(Frames.WELCOME), "welcome");
        for (int i = 0; i < 10; i++) {
            alice.send(control("subscribe", "r" + i, "{\"sub\":\"p" + i + "\",\"address\":\"event:v1.kit.pinged\",\"personal\":true}"));
        }
        Await.until(Duration.ofSeconds(5), () -> alice.frames.size() >= 11, () -> "an answer per frame: " + alice.frames);
        long confirms = alice.frames.stream().filter(RawClient.type(Frames.CONFIRM)).count();
        long limited = alice.frames.stream().filter(RawClient.error("rate_limited")).count();
        assertEquals(5, confirms, "the burst of 5 passes");
        assertEquals(5, limited, "the rest is refused, not queued");
        assertFalse(alice.closed.isDone(), "a rate-limited client stays connected");
    }

    @Test
    void messageOverTheSizeLimitClosesWith1009AndTheFrameLimitOverridesTheLibraryDefault() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().maxMessageBytes(4096));
        RawClient c = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        c.await(RawClient.type(Frames.WELCOME), "welcome");
        assertEquals(4096, c.frames.get(0).path("data").path("maxMessageBytes").asInt());
        c.ws.sendText("{\"pad\":\"" + "x".repeat(8000) + "\"}", true);
        assertEquals(1009, c.closed.get(10, TimeUnit.SECONDS), "too big");
        // fragmented: many small frames adding up past the limit
        RawClient f = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        for (int i = 0; i < 8 && !f.closed.isDone(); i++) {
            f.ws.sendText("x".repeat(1000), false).get(5, TimeUnit.SECONDS);
        }
        assertEquals(1009, f.closed.get(10, TimeUnit.SECONDS), "a fragmented message is limited as a whole");
    }

    @Test
    void connectionLimitsAnswer503InTotalAnd429PerPrincipal() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().maxConnections(3, 2));
        RawClient first = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        assertEquals(429, RawClient.refusedStatus(hub.uri(), TestHubs.ALICE_TOKEN, null));
        keep(RawClient.connect(hub.uri(), TestHubs.BOB_TOKEN, null));
        assertEquals(503, RawClient.refusedStatus(hub.uri(), TestHubs.BOB_TOKEN, null));
        // the accept loop keeps working after refusals
        first.close();
        Await.until(Duration.ofSeconds(5), () -> hub.connectionCount() == 2, () -> "a closed connection frees its slot");
        keep(RawClient.connect(hub.uri(), TestHubs.BOB_TOKEN, null)).await(RawClient.type(Frames.WELCOME), "slot reused");
    }

    @Test
    void aConnectionThatNeverHandshakesIsDroppedAfterTheHandshakeTimeout() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().handshakeTimeout(Duration.ofMillis(500)));
        try (Socket s = new Socket("127.0.0.1", hub.port())) {
            s.setSoTimeout(5_000);
            long t0 = System.nanoTime();
            assertEquals("", readUntilClosed(s), "the hub closes a silent connection without answering");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4));
        }
    }

    /**
     * Issue 10.9: a connection that ends while its handshake is still being processed on a worker (the
     * client hung up, or the handshake timeout fired) is closed by Java-WebSocket before it is opened; the
     * worker then opened it anyway and the hub counted a session nobody would close, until the idle check
     * reaped it. The authenticator blocks until the hub has closed the socket, so the order is forced; the
     * idle timeout is long, so only the hub's own bookkeeping can free the connection. Two idle connections
     * are opened first: Java-WebSocket allocates its read buffers per accepted connection, and with a single
     * one the selector would wait for the blocked worker's buffer before it could read the hang-up.
     */
    @Test
    void aConnectionThatEndsDuringItsHandshakeLeavesNothingOpen() throws Exception {
        for (boolean hangUp : new boolean[] {true, false}) {
            java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Authenticator slow = token -> {
                if (token.equals("slow-token")) {
                    entered.countDown();
                    try {
                        release.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return TestHubs.SERVICE;
                }
                return TestHubs.authenticator().authenticate(token);
            };
            WebSocketHub hub = hub(TestHubs.builder().authenticator(slow).idleTimeout(Duration.ofMinutes(10))
                    .handshakeTimeout(hangUp ? Duration.ofMinutes(10) : Duration.ofMillis(300)));
            try (RawClient spare1 = RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null);
                 RawClient spare2 = RawClient.connect(hub.uri(), TestHubs.BOB_TOKEN, null);
                 Socket s = new Socket("127.0.0.1", hub.port())) {
                s.setSoTimeout(30_000);
                OutputStream out = s.getOutputStream();
                out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Protocol: cloudevents.json\r\nAuthorization: Bearer slow-token"
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertTrue(entered.await(30, TimeUnit.SECONDS), "the handshake reached the authenticator");
                if (hangUp) {
                    s.shutdownOutput();
                }
                try {
                    readUntilClosed(s); // the hub closed the socket while the handshake was still being checked
                } finally {
                    release.countDown();
                }
                Await.until(Duration.ofSeconds(30), () -> hub.connectionCount() == 2
                        && hub.describeConnections().contains("library connections 2"),
                        () -> (hangUp ? "a client that hung up" : "a handshake that timed out")
                        + " during its handshake must leave no connection open; " + hub.describeConnections());
            }
        }
    }

    @Test
    void anOversizedHandshakeIsDroppedAtOnce() throws Exception {
        // the handshake timeout (10 s) is longer than the socket's read timeout: only the byte bound can close it
        WebSocketHub hub = hub(TestHubs.builder().handshakeTimeout(Duration.ofSeconds(30)));
        try (Socket s = new Socket("127.0.0.1", hub.port())) {
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + "a".repeat(20_000)).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readUntilClosed(s);
            assertFalse(answer.contains(" 101 "), "an oversized handshake must not be upgraded: " + answer);
        }
    }

    /**
     * Reads until the hub closes the connection and returns what it sent; fails when the hub keeps it
     * open past the socket's read timeout (a reset counts as closed).
     */
    static String readUntilClosed(Socket s) throws java.io.IOException {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        try {
            int b;
            while ((b = in.read()) != -1) {
                got.write(b);
            }
        } catch (java.net.SocketTimeoutException e) {
            org.junit.jupiter.api.Assertions.fail("the hub kept the connection open for " + s.getSoTimeout()
                    + " ms; it should have closed it. Received: " + got.toString(StandardCharsets.ISO_8859_1));
        } catch (java.net.SocketException reset) {
            // closed with a reset: closed all the same
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aClientThatStopsAnsweringPingsIsDropped() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().idleTimeout(Duration.ofSeconds(1)));
        try (Socket s = new Socket("127.0.0.1", hub.port())) {
            s.setSoTimeout(15_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: cloudevents.json\r\nAuthorization: Bearer " + TestHubs.ALICE_TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Await.until(Duration.ofSeconds(5), () -> hub.connectionCount() == 1, () -> "connected");
            long t0 = System.nanoTime();
            readUntilClosed(s); // never ponging, the client is dropped

            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
        }
        Await.until(Duration.ofSeconds(5), () -> hub.connectionCount() == 0, () -> "the slot is freed");
    }

    @Test
    void aSlowReaderIsCutOffAtTheSendQueueBound() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder().maxQueued(64, 256 * 1024));
        // a reader that never reads: raw socket, tiny receive buffer
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", hub.port()));
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: cloudevents.json\r\nAuthorization: Bearer " + TestHubs.SERVICE_TOKEN + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            byte[] sub = control("subscribe", "s", "{\"sub\":\"p\",\"address\":\"event:v1.kit.pinged\",\"personal\":true}")
                    .getBytes(StandardCharsets.UTF_8);
            out.write(maskedTextFrame(sub));
            out.flush();
            Await.until(Duration.ofSeconds(5), () -> hub.connectionCount() == 1, () -> "connected");
            try (WebSocketTransport pub = TestHubs.client(hub, TestHubs.SERVICE_TOKEN)) {
                pub.start(new dev.courier.spi.TransportContext("pub", "p1", Duration.ofSeconds(5)));
                String pad = "y".repeat(2000);
                for (int i = 0; i < 3000 && hub.connectionCount() > 1; i++) {
                    java.util.Map<String, String> h = new java.util.HashMap<>();
                    h.put("id", UUID.randomUUID().toString());
                    h.put("type", "v1.kit.pinged");
                    h.put("source", "t");
                    h.put("specversion", "1.0");
                    h.put("subject", "backend");
                    pub.publish(dev.courier.spi.Address.event("v1.kit.pinged"), h,
                            ("{\"pad\":\"" + pad + "\"}").getBytes(StandardCharsets.UTF_8)).get(30, TimeUnit.SECONDS); // a bound only: a starved hub may take seconds to cut the reader off
                }
                Await.until(Duration.ofSeconds(10), () -> hub.connectionCount() == 1,
                        () -> "the slow reader should be cut off; connections " + hub.connectionCount());
                assertTrue(pub.isConnected(), "other clients are not affected");
            }
        }
    }

    static byte[] maskedTextFrame(byte[] payload) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.write(0x81);
        if (payload.length < 126) {
            b.write(0x80 | payload.length);
        } else {
            b.write(0x80 | 126);
            b.write(payload.length >> 8);
            b.write(payload.length & 0xff);
        }
        byte[] mask = {1, 2, 3, 4};
        b.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            b.write(payload[i] ^ mask[i % 4]);
        }
        return b.toByteArray();
    }

    @Test
    void malformedFramesAndUnknownControlTypesGetErrorFramesAndHarmNoOne() throws Exception {
        WebSocketHub hub = hub(TestHubs.builder());
        RawClient bad = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        RawClient good = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        bad.send("not json at all");
        bad.await(RawClient.error("malformed"), "garbage");
        bad.send("{\"specversion\":\"1.0\"}");
        bad.await(n -> RawClient.error("malformed").test(n) && n.path("data").path("message").asText().contains("type"), "no type");
        bad.send(control("frobnicate", "u1", "{}"));
        bad.await(RawClient.error("unknown_type"), "unknown control type");
        bad.send(message("nowhere:x", "v1.kit.pinged", "m1", ""));
        bad.await(n -> RawClient.error("malformed").test(n) && "m1".equals(n.path("data").path("seq").asText()), "bad address");
        bad.ws.sendBinary(java.nio.ByteBuffer.wrap(new byte[] {0, 1, 2}), true);
        bad.await(RawClient.error("unsupported"), "binary frame");
        good.send(control("subscribe", "g1", "{\"sub\":\"a\",\"address\":\"event:v1.kit.pinged\",\"group\":\"svc\"}"));
        JsonNode ok = good.await(RawClient.type(Frames.CONFIRM), "the other client is served");
        assertEquals("g1", ok.path("data").path("seq").asText());
        assertFalse(bad.closed.isDone(), "malformed frames do not close the connection");
    }

    @Test
    void tlsWithAUserSuppliedSslContext(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        javax.net.ssl.SSLContext[] ctx = TestTls.serverAndClient(dir);
        WebSocketHub hub = hub(TestHubs.builder().sslContext(ctx[0]));
        assertEquals("wss", hub.uri().getScheme());
        try (WebSocketTransport t = WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(TestHubs.SERVICE_TOKEN).sslContext(ctx[1]).build())) {
            t.start(new dev.courier.spi.TransportContext("tls", "t1", Duration.ofSeconds(5)));
            assertTrue(t.isConnected());
            java.util.concurrent.CompletableFuture<String> got = new java.util.concurrent.CompletableFuture<>();
            t.subscribe(dev.courier.spi.Address.event("v1.kit.pinged"), "tls", 4, d -> {
                got.complete(new String(d.body(), StandardCharsets.UTF_8));
                d.ack();
            });
            java.util.Map<String, String> h = java.util.Map.of("id", "1", "type", "v1.kit.pinged", "source", "t", "specversion", "1.0");
            t.publish(dev.courier.spi.Address.event("v1.kit.pinged"), h, "{\"n\":1}".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
            assertEquals("{\"n\":1}", got.get(10, TimeUnit.SECONDS));
        }
    }
}
