package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.AMQConnection;
import com.rabbitmq.client.impl.Frame;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.FrameHandlerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.HashMap;
import java.util.Map;

/**
 * Sits between the socket and amqp-client's parser on every connection Courier opens, so that no
 * single message can break a connection (see {@link HeaderFrame} for what it rewrites and why).
 * Frames are read by the connection's one reading thread, so the state here needs no locking. It
 * works with amqp-client's blocking I/O, which Courier always uses (never {@code useNio()}). Internal.
 */
final class FrameGuard implements FrameHandler {
    private final FrameHandler in;
    private final long maxBody;
    /** Per channel: body bytes of a skipped message still to come. Only the reading thread touches it. */
    private final Map<Integer, Long> skipping = new HashMap<>();

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
        in.initialize(connection);
    }

    @Override
    public void writeFrame(Frame frame) throws IOException {
        in.writeFrame(frame);
    }

    @Override
    public void flush() throws IOException {
        in.flush();
    }

    @Override
    public void close() {
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
