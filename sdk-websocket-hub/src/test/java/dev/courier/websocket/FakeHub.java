package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.protocols.Protocol;
import org.java_websocket.server.WebSocketServer;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A hub that says welcome and then does only what the test tells it: it records every frame and
 * confirms publishes only while {@link #confirming} is set. For the client's own rules (a confirm
 * that never comes, a full window, resend after a reconnect) without a real hub's routing.
 */
final class FakeHub extends WebSocketServer implements AutoCloseable {
    /** Every frame a client sent, in order. */
    final List<Frames.Frame> frames = new CopyOnWriteArrayList<>();
    final List<WebSocket> connections = new CopyOnWriteArrayList<>();
    volatile boolean confirming;
    /** The welcome's {@code features}; null: none named (a hub from before them). */
    volatile List<String> features;
    /** What the last client offered in its {@code Courier-Features} handshake header (null: nothing). */
    volatile String offered;
    private final CountDownLatch started = new CountDownLatch(1);

    FakeHub() {
        this(0);
    }

    FakeHub(int port) {
        super(new InetSocketAddress("127.0.0.1", port), List.of(new Draft_6455(Collections.emptyList(),
                List.of(new Protocol(Frames.PROTOCOL)))));
        setReuseAddr(true);
    }

    FakeHub begin() throws InterruptedException {
        start();
        if (!started.await(10, TimeUnit.SECONDS)) {
            throw new AssertionError("the fake hub did not start");
        }
        return this;
    }

    URI uri() {
        return URI.create("ws://127.0.0.1:" + getPort() + "/");
    }

    /** Message frames (publishes) received with this message id. */
    long publishesOf(String id) {
        return frames.stream().filter(f -> !f.isControl() && id.equals(f.headers().get("id"))).count();
    }

    /** Sends a text frame to every client connection. */
    void sendToAll(String text) {
        for (WebSocket c : connections) {
            c.send(text);
        }
    }

    /** Cuts every client connection. */
    void dropAll() {
        for (WebSocket c : connections) {
            c.closeConnection(1006, "cut by the test");
        }
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        connections.add(conn);
        offered = handshake.hasFieldValue(Frames.FEATURES_HEADER) ? handshake.getFieldValue(Frames.FEATURES_HEADER) : null;
        com.fasterxml.jackson.databind.node.ObjectNode d = Frames.data();
        d.put("maxMessageBytes", 1024 * 1024);
        List<String> f = features;
        if (f != null) {
            f.forEach(d.putArray("features")::add);
        }
        conn.send(Frames.control(Frames.WELCOME, "/fake-hub", null, d));
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        try {
            Frames.Frame f = Frames.parse(message);
            frames.add(f);
            String seq = f.attr(Frames.SEQ);
            if (confirming && seq != null) {
                conn.send(Frames.control(Frames.CONFIRM, "/fake-hub", seq, Frames.data()));
            }
        } catch (Frames.MalformedFrame e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        connections.remove(conn);
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void close() throws InterruptedException {
        stop(1000);
    }
}
