package dev.courier.websocket;

import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WebSocketServerFactory;
import org.java_websocket.drafts.Draft;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;
import org.java_websocket.server.DefaultWebSocketServerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Creates the hub's connections with what Java-WebSocket lacks: a handshake timeout (a connection
 * that has not completed its handshake in time is dropped) and a bound on handshake bytes (the
 * library buffers an incomplete handshake without limit). TLS when an SSLContext is given.
 */
final class HubSocketFactory implements WebSocketServerFactory {
    private final WebSocketServerFactory delegate;
    private final ScheduledExecutorService timer;
    private final long handshakeTimeoutMillis;
    private final int maxHandshakeBytes;

    HubSocketFactory(SSLContext ssl, ScheduledExecutorService timer, long handshakeTimeoutMillis, int maxHandshakeBytes) {
        this.delegate = ssl == null ? new DefaultWebSocketServerFactory() : new DefaultSSLWebSocketServerFactory(ssl);
        this.timer = timer;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
        this.maxHandshakeBytes = maxHandshakeBytes;
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, Draft d) {
        return guard(new Guarded(a, List.of(d), maxHandshakeBytes));
    }

    @Override
    public WebSocketImpl createWebSocket(WebSocketAdapter a, List<Draft> drafts) {
        return guard(new Guarded(a, drafts, maxHandshakeBytes));
    }

    private WebSocketImpl guard(Guarded ws) {
        timer.schedule(() -> {
            if (!ws.isOpen() && !ws.isClosed()) {
                ws.closeConnection(CloseFrame.NEVER_CONNECTED, "handshake timeout");
            }
        }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        return ws;
    }

    @Override
    public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) throws IOException {
        return delegate.wrapChannel(channel, key);
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Counts bytes until the handshake completes and drops a connection that sends too many. */
    static final class Guarded extends WebSocketImpl {
        private final int maxHandshakeBytes;
        private long handshakeBytes;

        Guarded(WebSocketAdapter listener, List<Draft> drafts, int maxHandshakeBytes) {
            super(listener, drafts);
            this.maxHandshakeBytes = maxHandshakeBytes;
        }

        @Override
        public void decode(ByteBuffer socketBuffer) {
            if (!isOpen() && !isClosing() && !isClosed()) {
                handshakeBytes += socketBuffer.remaining();
                if (handshakeBytes > maxHandshakeBytes) {
                    socketBuffer.position(socketBuffer.limit());
                    closeConnection(CloseFrame.TOOBIG, "handshake larger than " + maxHandshakeBytes + " bytes");
                    return;
                }
            }
            super.decode(socketBuffer);
        }
    }
}
