package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.protocols.Protocol;

import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** One Java-WebSocket client connection of a {@link WebSocketTransport}; a reconnect is a new instance. */
final class ClientConnection extends WebSocketClient {
    private final WebSocketTransport transport;
    final long epoch;
    volatile String lastError;

    ClientConnection(WebSocketTransport transport, URI uri, Map<String, String> headers, int maxMessageBytes,
                     int connectTimeoutMillis, long epoch) {
        super(uri, new Draft_6455(Collections.emptyList(), List.of(new Protocol(Frames.PROTOCOL)), maxMessageBytes),
                headers, connectTimeoutMillis);
        this.transport = transport;
        this.epoch = epoch;
    }

    /** Queues a text frame; false when the connection is not open. */
    boolean sendText(String text) {
        try {
            send(text);
            return true;
        } catch (WebsocketNotConnectedException e) {
            return false;
        }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        // the hub speaks first (welcome)
    }

    @Override
    public void onMessage(String message) {
        transport.onFrame(this, message);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        transport.onClosed(this, code, reason);
    }

    @Override
    public void onError(Exception ex) {
        lastError = ex.getMessage() != null ? ex.getMessage() : ex.toString();
    }
}
