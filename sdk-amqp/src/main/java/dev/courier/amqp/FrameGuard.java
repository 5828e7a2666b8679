package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import com.rabbitmq.client.impl.SocketFrameHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Sits between the socket and amqp-client's parser on every connection Courier opens, so that no
 * single message can break a connection (see {@link HeaderFrame} for what it rewrites and why).
 * Frames are read by the connection's one reading thread, so the state here needs no locking. It
 * works with amqp-client's blocking I/O, which Courier always uses (never {@code useNio()}: amqp-client's
 * NIO loop parses frames itself and never calls {@link #readFrame}, so the guard would be bypassed).
 *
 * <p>It also lets the transport {@linkplain #sever sever} a connection whose socket RabbitMQ stopped
 * reading: amqp-client's own close and abort write a {@code connection.close} first, behind the lock
 * of a write that is blocked for good.
 *
 * <p>And it lets the publisher's writer thread send a run of publishes with one socket write instead
 * of one each: amqp-client flushes the socket after every command, so while the writer {@linkplain
 * #hold holds} the flushes, a flush called on that thread only notes that one is due, and the writer
 * {@linkplain #flushHeld flushes once} after the run (the buffer still spills by itself when full).
 * Flushes on every other thread, and on the writer outside {@link #hold}/{@link #release}, go through
 * as before (and take what is buffered with them). Internal.
 */
final class FrameGuard implements FrameHandler {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
    /** The guard of each open connection, for {@link #sever}. */
    private static final Map<Connection, FrameGuard> GUARDS = Collections.synchronizedMap(new WeakHashMap<>());

    private final FrameHandler in;
    private volatile AMQConnection owner;
    private final long maxBody;
    /** Per channel: body bytes of a skipped message still to come. Only the reading thread touches it. */
    private final Map<Integer, Long> skipping = new HashMap<>();

    /** The thread whose flushes are held back now (between {@link #hold} and {@link #release}), or null. */
    private volatile Thread holder;
    /** A flush was held back and has not been done since. */
    private volatile boolean held;

    FrameGuard(FrameHandler in, long maxBody) {
        this.in = in;
        this.maxBody = maxBody;
    }

    /** A ConnectionFactory whose connections read through a {@link FrameGuard}. */
    static final class Factory extends ConnectionFactory {
        private final long maxBody;

        Factory(long maxBody) {
            this.maxBody = maxBody;
        }

        @Override
        protected synchronized FrameHandlerFactory createFrameHandlerFactory() throws IOException {
            FrameHandlerFactory plain = super.createFrameHandlerFactory();
            return (address, connectionName) -> new FrameGuard(plain.create(address, connectionName), maxBody);
        }
    }

    @Override
    public Frame readFrame() throws IOException {
        while (true) {
            Frame f = in.readFrame();
            if (f == null) {
                return null; // a read timeout: amqp-client checks the heartbeat
            }
            if (f.type == AMQP.FRAME_BODY) {
                Long left = skipping.get(f.channel);
                if (left == null) {
                    return f;
                }
                long rest = left - f.getPayload().length;
                if (rest > 0) {
                    skipping.put(f.channel, rest);
                } else {
                    skipping.remove(f.channel);
                }
                continue; // a body that was over the limit: dropped unread
            }
            if (f.type == AMQP.FRAME_METHOD) {
                skipping.remove(f.channel); // a new command: nothing of an old body can follow
                return f;
            }
            if (f.type == AMQP.FRAME_HEADER) {
                HeaderFrame.Rewrite r = HeaderFrame.inspect(f.getPayload(), maxBody);
                if (r == null) {
                    return f;
                }
                if (r.skipBody() > 0) {
                    skipping.put(f.channel, r.skipBody());
                }
                return new Frame(f.type, f.channel, r.payload());
            }
            return f;
        }
    }

    @Override
    public void setTimeout(int timeoutMs) throws SocketException {
        in.setTimeout(timeoutMs);
    }

    @Override
    public int getTimeout() throws SocketException {
        return in.getTimeout();
    }

    @Override
    public void sendHeader() throws IOException {
        in.sendHeader();
    }

    @Override
    public void initialize(AMQConnection connection) {
        owner = connection;
        GUARDS.put(connection, this);
        in.initialize(connection);
    }

    /**
     * Closes {@code c}'s socket now, on a thread of its own, taking no lock a blocked writer may hold:
     * a write blocked on it fails, the reading thread sees the socket closed and amqp-client shuts the
     * connection down as after a network failure (its shutdown listeners run: the link reconnects).
     * Never blocks the caller.
     *
     * @param c a connection opened by a {@link Factory}; another one is aborted on that thread instead
     */
    static void sever(Connection c) {
        FrameGuard g = c == null ? null : GUARDS.get(c);
        Runnable r = g != null ? g::severNow : () -> RabbitLink.abort(c);
        if (c == null) {
            return;
        }
        Thread t = new Thread(r, "courier-amqp-sever");
        t.setDaemon(true);
        t.start();
    }

    private void severNow() {
        if (in instanceof SocketFrameHandler s) {
            try {
                // closing the socket's input stream closes the socket (java.net.Socket#getInputStream), and
                // BufferedInputStream#close takes no lock; the blocked writer holds the output stream's
                s.getInputStream().close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing the socket of a stuck connection: {}", e.toString());
            }
        }
        in.close(); // the rest (flush, close) may wait for the failed write to let go of its lock: on this thread
    }

    @Override
    public void writeFrame(Frame frame) throws IOException {
        in.writeFrame(frame);
    }

    @Override
    public void flush() throws IOException {
        if (holder == Thread.currentThread()) {
            held = true; // the holder flushes once after its run of writes
            return;
        }
        in.flush();
    }

    /** The guard of {@code c}, or null when it was not opened by a {@link Factory} (or is closed). */
    static FrameGuard of(Connection c) {
        return c == null ? null : GUARDS.get(c);
    }

    /**
     * From now until {@link #release}, flushes called on this thread are held back (noted, not done).
     * For a write that must not block on anything but the socket; never around a call that waits for
     * RabbitMQ's answer.
     */
    void hold() {
        holder = Thread.currentThread();
    }

    /** Flushes go through again on this thread; what was held back stays buffered until {@link #flushHeld}. */
    void release() {
        holder = null;
    }

    /**
     * Flushes if a flush was held back since the last one.
     *
     * @return whether it flushed
     * @throws IOException when the socket write fails (the connection is then lost: its reading thread sees it)
     */
    boolean flushHeld() throws IOException {
        if (!held) {
            return false;
        }
        held = false;
        in.flush();
        return true;
    }

    @Override
    public void close() {
        AMQConnection c = owner;
        if (c != null) {
            GUARDS.remove(c);
        }
        in.close();
    }

    @Override
    public InetAddress getLocalAddress() {
        return in.getLocalAddress();
    }

    @Override
    public int getLocalPort() {
        return in.getLocalPort();
    }

    @Override
    public InetAddress getAddress() {
        return in.getAddress();
    }

    @Override
    public int getPort() {
        return in.getPort();
    }
}
