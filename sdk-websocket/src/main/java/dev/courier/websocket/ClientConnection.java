package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import dev.courier.websocket.protocol.WireFrames;
import com.fasterxml.jackson.databind.JsonNode;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.Framedata;
import org.java_websocket.exceptions.WebsocketNotConnectedException;
import org.java_websocket.handshake.ServerHandshake;
import org.java_websocket.protocols.Protocol;

import java.net.URI;
import java.nio.ByteBuffer;
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
    /** Acks waiting for the end of the current read run (feature batch). */
    private final Acks acks;
    /** Feature batch in effect: the hub's welcome named it. */
    private volatile boolean batch;

    ClientConnection(HubLink link, URI uri, Map<String, String> headers, int maxMessageBytes, int connectTimeoutMillis) {
        this(link, uri, headers, maxMessageBytes, connectTimeoutMillis, new Acks());
    }

    private ClientConnection(HubLink link, URI uri, Map<String, String> headers, int maxMessageBytes, int connectTimeoutMillis,
                             Acks acks) {
        super(uri, new RunDraft(acks, maxMessageBytes), headers, connectTimeoutMillis);
        this.link = link;
        this.acks = acks;
        acks.conn = this;
    }

    /** The hub's welcome named feature batch: acks may go several to a frame. Called on the read thread. */
    void batch(boolean on) {
        batch = on;
    }

    /** @return true when acks may go several to a frame (the hub's welcome named feature batch) */
    boolean batching() {
        return batch;
    }

    /**
     * Acks a delivery (feature batch): while the read thread decodes a run of frames, the ack waits for the end
     * of that run and goes out with the others of the run in one frame; otherwise it goes out at once.
     *
     * @return false when the connection is not open (nothing was queued)
     */
    boolean ack(long tag) {
        if (!isOpen()) {
            return false;
        }
        acks.add(tag);
        if (!acks.reading) {
            acks.flush(); // the read thread is not in a run (or just ended it): nobody else would flush
        }
        return true;
    }

    /**
     * Acks due, flushed when the read thread ends its run of frames or at once when it is not in one. The add
     * (under the lock) then the read of {@link #reading}, against the write of {@link #reading} then the
     * flush (under the lock), are synchronization actions in one total order: one of the two sides sees the
     * other's, so no ack is left behind.
     */
    private static final class Acks {
        volatile boolean reading;
        ClientConnection conn;
        private long[] tags = new long[64];
        private int count;

        synchronized void add(long tag) {
            if (count == tags.length) {
                tags = java.util.Arrays.copyOf(tags, count * 2);
            }
            tags[count++] = tag;
        }

        void runStarted() {
            reading = true;
        }

        void runEnded() {
            reading = false;
            flush();
        }

        synchronized void flush() {
            String source = conn.link.source();
            for (int from = 0; from < count; from += 1024) {
                int n = Math.min(1024, count - from);
                long[] part = from == 0 ? tags : java.util.Arrays.copyOfRange(tags, from, from + n);
                conn.sendText(n == 1 ? Frames.settle(Frames.ACK, source, part[0], false) : Frames.acks(source, part, n));
            }
            count = 0;
        }
    }

    /**
     * RFC 6455 as the library speaks it, telling {@link Acks} where a read run starts (the frames of one
     * socket read decoded) and where it ends (the last of them processed, or one failed).
     */
    private static final class RunDraft extends Draft_6455 {
        private final Acks acks;
        private final int maxMessageBytes;
        private int remaining;

        RunDraft(Acks acks, int maxMessageBytes) {
            super(Collections.emptyList(), List.of(new Protocol(Frames.PROTOCOL)), maxMessageBytes);
            this.acks = acks;
            this.maxMessageBytes = maxMessageBytes;
        }

        @Override
        public List<Framedata> translateFrame(ByteBuffer buffer) throws InvalidDataException {
            List<Framedata> frames = super.translateFrame(buffer);
            remaining = frames.size();
            if (remaining > 0) {
                acks.runStarted();
            }
            return frames;
        }

        @Override
        public void processFrame(WebSocketImpl ws, Framedata frame) throws InvalidDataException {
            boolean ok = false;
            try {
                super.processFrame(ws, frame);
                ok = true;
            } finally {
                if (!ok || --remaining <= 0) {
                    remaining = 0;
                    acks.runEnded();
                }
            }
        }

        @Override
        public Draft copyInstance() {
            return new RunDraft(acks, maxMessageBytes);
        }
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
