package dev.courier.websocket.protocol;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * Puts Courier's text frames on a Java-WebSocket connection without the library's per-frame extras:
 * its {@code send(String)} validates as UTF-8 the bytes it has just encoded from a Java string (always
 * valid), and builds a debug string of every frame's bytes even with logging off (for a client's masked
 * frame, a full UTF-8 decode of random-looking bytes). Here the text is encoded once, framed (RFC 6455:
 * one final text frame, masked with a key from a {@link SecureRandom} when the client sends) and queued
 * on the connection's send queue in one buffer, as the library queues it; the library's writer takes it
 * from there. Frames Courier does not write (pings, pongs, close) still go through the library. Like the
 * hub's other parts, public only for the hub module.
 */
public final class WireFrames {
    /** Frames queued by every writer of this process (a diagnostic: benchmarks count frames per message). */
    private static final java.util.concurrent.atomic.LongAdder FRAMES = new java.util.concurrent.atomic.LongAdder();

    /** Masking keys, drawn 64 at a time from a strong source, as RFC 6455 asks of a client. */
    private final SecureRandom random;
    private final byte[] keys;
    private int next;

    private WireFrames(boolean client) {
        random = client ? new SecureRandom() : null;
        keys = client ? new byte[256] : null;
        next = client ? keys.length : 0;
    }

    /**
     * For a client connection: its frames are masked.
     *
     * @return a writer for one client connection
     */
    public static WireFrames client() {
        return new WireFrames(true);
    }

    /**
     * For a server connection: its frames are not masked.
     *
     * @return a writer for server connections (thread-safe, may be shared)
     */
    public static WireFrames server() {
        return new WireFrames(false);
    }

    /**
     * Queues {@code text} as one text frame on {@code conn}.
     *
     * @param conn the connection; anything but a {@link WebSocketImpl} is sent with {@code conn.send(text)}
     * @param text the frame's text
     * @return the frame's payload size in bytes (UTF-8)
     * @throws WebsocketNotConnectedException when the connection is not open (nothing was queued), as
     *         {@code send} throws it
     */
    public int send(WebSocket conn, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        send(conn, payload);
        return payload.length;
    }

    /**
     * Queues a text frame whose payload, {@code utf8}, is the UTF-8 encoding of a Java string (so valid UTF-8).
     *
     * @param conn the connection; anything but a {@link WebSocketImpl} is sent with {@code conn.send(text)}
     * @param utf8 the frame's payload
     * @throws WebsocketNotConnectedException when the connection is not open (nothing was queued)
     */
    public void send(WebSocket conn, byte[] utf8) {
        if (!(conn instanceof WebSocketImpl ws)) {
            conn.send(new String(utf8, StandardCharsets.UTF_8));
            FRAMES.increment();
            return;
        }
        if (!ws.isOpen()) {
            throw new WebsocketNotConnectedException();
        }
        ws.outQueue.add(ByteBuffer.wrap(frame(utf8)));
        FRAMES.increment();
        ws.getWebSocketListener().onWriteDemand(ws);
    }

    /**
     * How many text frames the writers of this process (clients and hubs) have queued so far: Courier's own
     * frames, not the library's pings, pongs and close frames. For benchmarks and diagnostics.
     *
     * @return the count since the process started
     */
    public static long framesWritten() {
        return FRAMES.sum();
    }

    /** One final text frame carrying {@code payload}, masked when this writer is a client's. */
    byte[] frame(byte[] payload) {
        int len = payload.length;
        boolean masked = random != null;
        int header = 2 + (len < 126 ? 0 : len < 65536 ? 2 : 8);
        byte[] out = new byte[header + (masked ? 4 : 0) + len];
        out[0] = (byte) 0x81; // FIN, opcode 1 (text)
        int maskBit = masked ? 0x80 : 0;
        if (len < 126) {
            out[1] = (byte) (maskBit | len);
        } else if (len < 65536) {
            out[1] = (byte) (maskBit | 126);
            out[2] = (byte) (len >>> 8);
            out[3] = (byte) len;
        } else {
            out[1] = (byte) (maskBit | 127);
            for (int i = 0; i < 8; i++) {
                out[2 + i] = (byte) ((long) len >>> (8 * (7 - i)));
            }
        }
        if (!masked) {
            System.arraycopy(payload, 0, out, header, len);
            return out;
        }
        byte k0;
        byte k1;
        byte k2;
        byte k3;
        synchronized (this) {
            if (next == keys.length) {
                random.nextBytes(keys);
                next = 0;
            }
            k0 = keys[next];
            k1 = keys[next + 1];
            k2 = keys[next + 2];
            k3 = keys[next + 3];
            next += 4;
        }
        out[header] = k0;
        out[header + 1] = k1;
        out[header + 2] = k2;
        out[header + 3] = k3;
        int at = header + 4;
        int i = 0;
        for (int end = len - 3; i < end; i += 4) {
            out[at + i] = (byte) (payload[i] ^ k0);
            out[at + i + 1] = (byte) (payload[i + 1] ^ k1);
            out[at + i + 2] = (byte) (payload[i + 2] ^ k2);
            out[at + i + 3] = (byte) (payload[i + 3] ^ k3);
        }
        for (; i < len; i++) {
            out[at + i] = (byte) (payload[i] ^ out[header + (i & 3)]);
        }
        return out;
    }
}
