package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import dev.courier.websocket.protocol.WireFrames;
import com.fasterxml.jackson.databind.JsonNode;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.protocols.Protocol;

import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One Java-WebSocket client connection to one hub; a reconnect is a new instance. It only moves
 * text: frames in go to the {@link HubLink}, frames out are queued by {@link #sendText}. Its
 * {@link #welcome} completes with the hub's welcome data, or fails when the connection closes first.
 */
final class ClientConnection extends WebSocketClient {
    private final HubLink link;
    /** Writes Courier's frames: encoded and masked once, without the library's per-frame re-validation. */
    private final WireFrames wire = WireFrames.client();
    /** The hub's welcome: the hub speaks first, once, right after the handshake. */
    final CompletableFuture<JsonNode> welcome = new CompletableFuture<>();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private volatile String lastError;
    /** Set when connecting gave up on this connection: whatever it does later is closed at once. */
    private volatile boolean abandoned;

    ClientConnection(HubLink link, URI uri, Map<String, String> headers, int maxMessageBytes, int connectTimeoutMillis) {
        super(uri, new Draft_6455(Collections.emptyList(), List.of(new Protocol(Frames.PROTOCOL)), maxMessageBytes),
                headers, connectTimeoutMillis);
        this.link = link;
    }

    /**
     * Queues a text frame.
     *
     * @return false when the connection is not open (nothing was queued)
     */
    boolean sendText(String text) {
        try {
            wire.send(getConnection(), text);
            return true;
        } catch (WebsocketNotConnectedException e) {
            return false;
        }
    }

    /** @return the last error Java-WebSocket reported, or null */
    String lastError() {
        return lastError;
    }

    /** Gives up on a connection still connecting: it is closed now or as soon as it opens. */
    void abandon() {
        abandoned = true;
        close();
        try {
            if (getSocket() != null) {
                getSocket().close();
            }
        } catch (java.io.IOException | RuntimeException e) {
            // closing quietly
        }
    }

    /**
     * Closes and waits until the close is done, at most {@code millis}.
     *
     * @param millis the bound
     */
    void closeWithin(long millis) {
        close();
        try {
            if (!closedLatch.await(millis, TimeUnit.MILLISECONDS)) {
                abandon();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        if (abandoned) {
            close();
        }
        // otherwise the hub speaks first (welcome)
    }

    @Override
    public void onMessage(String message) {
        if (!abandoned) {
            link.onFrame(this, message);
        }
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closedLatch.countDown();
        link.onClosed(this, code, reason);
    }

    @Override
    public void onError(Exception ex) {
        lastError = ex.getMessage() != null ? ex.getMessage() : ex.toString();
    }
}
