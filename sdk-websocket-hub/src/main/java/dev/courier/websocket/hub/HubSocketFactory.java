package dev.courier.websocket.hub;

import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.WrappedByteChannel;
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
 * library buffers an incomplete handshake without limit), and counts what the socket takes for each
 * connection's {@link SendBacklog}. TLS when an SSLContext is given.
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
        try {
            timer.schedule(() -> {
                if (!ws.isOpen() && !ws.isClosed()) {
                    ws.closeConnection(CloseFrame.NEVER_CONNECTED, "handshake timeout");
                }
            }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the hub is closing: a connection accepted now is closed with the server; an exception here
            // would reach Java-WebSocket's accept loop, which logs it as a fatal error
        }
        return ws;
    }

    /**
     * Every byte read from a client proves it alive: the selector thread marks the connection at once
     * ({@link WebSocketImpl#updateLastPong()}), so the lost-connection check never waits for a worker
     * thread to decode a pong queued behind other connections' frames. Before, a busy hub (a fuzzing
     * client, both cores hogged) cut well-behaved idle clients for "no pong in time" (issue 10.9).
     */
    @Override
    public ByteChannel wrapChannel(SocketChannel channel, SelectionKey key) throws IOException {
        ByteChannel inner = delegate.wrapChannel(channel, key);
        return inner instanceof WrappedByteChannel ? new LiveWrapped((WrappedByteChannel) inner, key) : new Live(inner, key);
    }

    private static void alive(SelectionKey key, int read) {
        if (read > 0 && key.attachment() instanceof WebSocketImpl) {
            ((WebSocketImpl) key.attachment()).updateLastPong();
        }
    }

    /** A plain channel that marks its connection alive on every read that returns bytes. */
    private static class Live implements ByteChannel {
        final ByteChannel inner;
        final SelectionKey key;

        Live(ByteChannel inner, SelectionKey key) {
            this.inner = inner;
            this.key = key;
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = inner.read(dst);
            alive(key, n);
            return n;
        }

        /** Counts what the socket took for the connection's {@link SendBacklog}. */
        @Override
        public int write(ByteBuffer src) throws IOException {
            int before = src.remaining();
            int n = inner.write(src);
            if (key.attachment() instanceof Guarded) {
                ((Guarded) key.attachment()).backlog.written(before - src.remaining());
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    /** The same for TLS, whose channel Java-WebSocket drives through {@link WrappedByteChannel}. */
    private static final class LiveWrapped extends Live implements WrappedByteChannel {
        private final WrappedByteChannel wrapped;

        LiveWrapped(WrappedByteChannel inner, SelectionKey key) {
            super(inner, key);
            this.wrapped = inner;
        }

        @Override
        public boolean isNeedWrite() {
            return wrapped.isNeedWrite();
        }

        @Override
        public void writeMore() throws IOException {
            wrapped.writeMore();
        }

        @Override
        public boolean isNeedRead() {
            return wrapped.isNeedRead();
        }

        @Override
        public int readMore(ByteBuffer dst) throws IOException {
            int n = wrapped.readMore(dst);
            alive(key, n);
            return n;
        }

        @Override
        public boolean isBlocking() {
            return wrapped.isBlocking();
        }
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Counts bytes until the handshake completes and drops a connection that sends too many. */
    static final class Guarded extends WebSocketImpl {
        /** What the hub queued on this connection and the socket has not taken yet. */
        final SendBacklog backlog = new SendBacklog();
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
            // one read run: publish confirms it produces go out together at its end (feature batch)
            HubSession session = getAttachment() instanceof HubSession h ? h : null;
            if (session != null) {
                session.readRunStarted();
            }
            try {
                super.decode(socketBuffer);
            } finally {
                if (session != null) {
                    session.readRunEnded();
                }
            }
        }
    }
}
