package dev.courier.amqp;

import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The writer's held flushes: while the publisher's writer holds them, amqp-client's flush after each
 * publish is only noted on that thread and done once after the run; every other thread's flush, and
 * the writer's own outside the hold, goes to the socket as before.
 */
class FrameGuardFlushTest {

    /** Counts flushes; nothing else is used. */
    private static final class Counting implements FrameHandler {
        final AtomicInteger flushes = new AtomicInteger();

        @Override
        public void setTimeout(int timeoutMs) {
        }

        @Override
        public int getTimeout() {
            return 0;
        }

        @Override
        public void sendHeader() {
        }

        @Override
        public void initialize(AMQConnection connection) {
        }

        @Override
        public Frame readFrame() {
            return null;
        }

        @Override
        public void writeFrame(Frame frame) {
        }

        @Override
        public void flush() {
            flushes.incrementAndGet();
        }

        @Override
        public void close() {
        }

        @Override
        public InetAddress getLocalAddress() {
            return null;
        }

        @Override
        public int getLocalPort() {
            return 0;
        }

        @Override
        public InetAddress getAddress() {
            return null;
        }

        @Override
        public int getPort() {
            return 0;
        }
    }

    @Test
    void flushesHeldOnTheHoldingThreadGoOutOnceAfterTheRun() throws Exception {
        Counting socket = new Counting();
        FrameGuard g = new FrameGuard(socket, Long.MAX_VALUE);
        for (int i = 0; i < 5; i++) {
            g.hold();
            g.flush(); // amqp-client's flush after each publish
            g.release();
        }
        assertEquals(0, socket.flushes.get(), "nothing flushed during the run");
        assertTrue(g.flushHeld());
        assertEquals(1, socket.flushes.get(), "one flush for the run");
        assertFalse(g.flushHeld(), "nothing held any more");
        assertEquals(1, socket.flushes.get());
    }

    @Test
    void otherThreadsAndTheWriterOutsideTheHoldFlushAtOnce() throws Exception {
        Counting socket = new Counting();
        FrameGuard g = new FrameGuard(socket, Long.MAX_VALUE);
        g.hold();
        CompletableFuture.runAsync(() -> {
            try {
                g.flush(); // e.g. the heartbeat sender or another channel of the connection
            } catch (java.io.IOException e) {
                throw new RuntimeException(e);
            }
        }).get(10, TimeUnit.SECONDS);
        assertEquals(1, socket.flushes.get(), "another thread's flush is not held");
        g.release();
        g.flush(); // e.g. an abort on the writer after a failed publish
        assertEquals(2, socket.flushes.get(), "the writer's flush outside the hold goes out");
        assertFalse(g.flushHeld());
    }
}
