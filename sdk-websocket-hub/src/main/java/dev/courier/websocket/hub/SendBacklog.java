package dev.courier.websocket.hub;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the hub queued on one connection that the socket has not taken yet, counted by the hub itself
 * (Java-WebSocket's send queue is not public API): each frame the hub queues adds its size on the wire,
 * each write to the socket ({@link HubSocketFactory}'s channel) subtracts what it took. Frames are
 * counted by their end offsets in the byte stream. The library writes a few bytes of its own (the
 * handshake answer, pings, pongs); whenever the library has nothing buffered the count starts again
 * from zero, so that drift never adds up. An estimate made for the slow-reader bound, not an exact
 * figure: frames queued at once by two threads may be counted in the other order.
 */
final class SendBacklog {
    /** Bytes the socket took; written by the selector thread. */
    private final AtomicLong written = new AtomicLong();
    /** The end offset of the last frame queued, in the coordinates of {@link #written} (guarded by this). */
    private long queuedEnd;
    /** End offsets of the frames queued and not yet written, oldest first (a ring; guarded by this). */
    private long[] ends = new long[16];
    private int head;
    private int size;

    /** The socket took {@code bytes} (selector thread). */
    void written(int bytes) {
        if (bytes > 0) {
            written.addAndGet(bytes);
        }
    }

    /**
     * Frames waiting, after forgetting those written.
     *
     * @param libraryIdle true when the library has nothing buffered: everything queued was written
     */
    synchronized int frames(boolean libraryIdle) {
        long w = written.get();
        if (libraryIdle) {
            size = 0;
            head = 0;
            queuedEnd = w;
            return 0;
        }
        while (size > 0 && ends[head] <= w) {
            head = (head + 1) % ends.length;
            size--;
        }
        return size;
    }

    /** Bytes waiting (as of the last {@link #frames} or {@link #queued}). */
    synchronized long bytes() {
        return Math.max(0, queuedEnd - written.get());
    }

    /** Counts a text frame with {@code payloadBytes} of UTF-8 that the hub is about to queue. */
    synchronized void queued(int payloadBytes) {
        // a server frame is unmasked: 2 header bytes, 2 more from 126 bytes, 8 more from 64 KiB
        long wire = payloadBytes + (payloadBytes < 126 ? 2 : payloadBytes < 65536 ? 4 : 10);
        queuedEnd = Math.max(queuedEnd, written.get()) + wire;
        if (size == ends.length) {
            long[] bigger = new long[ends.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = ends[(head + i) % ends.length];
            }
            ends = bigger;
            head = 0;
        }
        ends[(head + size) % ends.length] = queuedEnd;
        size++;
    }
}
