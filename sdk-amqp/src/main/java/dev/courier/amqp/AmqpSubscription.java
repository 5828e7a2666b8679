package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One consumer on its own channel with its own prefetch. It declares its queue (and binding) each
 * time it attaches, so it comes back by itself after a reconnect, after its channel was closed by a
 * channel error, and after the broker cancelled it because its queue was deleted. Deliveries keep
 * the channel they came on: an ack after that channel is gone is refused instead of being sent with
 * a stale delivery tag, and the broker delivers the message again. Internal.
 */
final class AmqpSubscription implements TransportSubscription {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final AmqpTransport transport;
    final Address address;
    final String group;
    final String queue;
    private final int prefetch;
    private final DeliveryCallback callback;
    private volatile Channel channel;
    /** The acks of the current channel (each channel has its own delivery tags). */
    private volatile Acks acks;
    private volatile String tag;
    private volatile boolean consuming;
    private volatile boolean closed;
    private final java.util.concurrent.atomic.AtomicBoolean closeClaimed = new java.util.concurrent.atomic.AtomicBoolean();
    /** Deliveries handed out and not settled yet; the channel of a closed subscription closes when none is left. */
    private final java.util.concurrent.atomic.AtomicInteger outstanding = new java.util.concurrent.atomic.AtomicInteger();
    /** Pauses between attempts to consume again after RabbitMQ closed or cancelled this consumer. */
    private final dev.courier.spi.Backoff reattach;

    AmqpSubscription(AmqpTransport transport, Address address, String group, String queue, int prefetch,
                     DeliveryCallback callback) {
        this.transport = transport;
        this.address = address.withoutGroup();
        this.group = group;
        this.queue = queue;
        this.prefetch = prefetch;
        this.callback = callback;
        this.reattach = AmqpConnections.backoff(transport.config());
    }

    /** Declares the queue and starts consuming on a new channel of {@code c}; throws when refused. */
    synchronized void attach(Connection c) {
        if (closed) {
            return;
        }
        Channel old = channel;
        if (consuming && old != null && old.isOpen() && old.getConnection() == c) {
            return;
        }
        Channel ch = null;
        try {
            ch = c.createChannel();
            ch.basicQos(prefetch);
            declare(ch);
            Channel mine = ch;
            ch.addShutdownListener(sig -> channelClosed(mine, sig));
            Acks a = new Acks(new Acks.Out() {
                @Override
                public void ack(long deliveryTag, boolean multiple) throws IOException {
                    mine.basicAck(deliveryTag, multiple);
                }

                @Override
                public void reject(long deliveryTag, boolean requeue) throws IOException {
                    mine.basicReject(deliveryTag, requeue);
                }
            }, Acks.Timer.on(transport.acker()), Acks.batchFor(prefetch), System::nanoTime);
            channel = ch;
            acks = a;
            tag = ch.basicConsume(queue, false, new Receiver(this, ch, a));
            consuming = true;
            reattach.connected();
        } catch (IOException | RuntimeException e) {
            consuming = false;
            if (ch != null) {
                try {
                    ch.abort();
                } catch (IOException | RuntimeException ignored) {
                    // best effort
                }
            }
            throw e instanceof IOException ? Topology.translate(e, queue) : (RuntimeException) e;
        }
    }

    /** Declares this subscription's queue and binding (idempotent). */
    void declare(Channel ch) {
        Topology topo = transport.topology();
        switch (address.kind()) {
            case EVENT:
                topo.declareEventQueue(ch, queue, address.name());
                break;
            case COMMAND:
                topo.declareCommandQueue(ch, queue, address.name());
                break;
            case REPLY:
                topo.declareReplyQueue(ch, queue);
                break;
            default:
                topo.declareDurable(ch, queue);
        }
    }

    private void channelClosed(Channel ch, ShutdownSignalException sig) {
        if (ch != channel) {
            return;
        }
        consuming = false;
        if (closed || transport.isClosing() || sig.isHardError()) {
            return; // a lost connection is re-attached by the link on reconnect
        }
        log.warn("consumer channel of queue {} closed by RabbitMQ ({}); reopening it", queue, sig.getMessage());
        reattachLater(0);
    }

    void reattachLater(int attempt) {
        if (closed || transport.isClosing()) {
            return;
        }
        long delay = reattach.nextDelay().toMillis();
        try {
            transport.scheduler().schedule(() -> {
                Connection c = transport.consumeConnection();
                if (c == null || closed) {
                    return; // the link re-attaches every subscription when it reconnects
                }
                try {
                    attach(c);
                    log.info("consuming {} again", queue);
                } catch (RuntimeException e) {
                    log.warn("re-attaching the consumer of {} failed ({}); retrying", queue, e.getMessage());
                    reattachLater(attempt + 1);
                }
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    AmqpTransport transport() {
        return transport;
    }

    DeliveryCallback callback() {
        return callback;
    }

    boolean isClosed() {
        return closed;
    }

    /** The acks of the channel consuming now; for tests. */
    Acks acks() {
        return acks;
    }

    /** The channel consuming now (a Receiver of an older one ignores its cancel). */
    Channel channel() {
        return channel;
    }

    /** RabbitMQ cancelled the consumer on {@code ch}, the current channel: it stops consuming until re-attached. */
    void cancelled() {
        consuming = false;
    }

    /** A delivery was handed out; {@link #settled()} follows once. */
    void delivered() {
        outstanding.incrementAndGet();
    }

    @Override
    public boolean isActive() {
        Channel ch = channel;
        return !closed && consuming && ch != null && ch.isOpen();
    }

    /**
     * Stops new deliveries, once: later and concurrent calls return at once. The consumer is
     * cancelled (waiting for RabbitMQ's reply at most {@link #CANCEL_WAIT_MILLIS}) unless the
     * transport is closing, whose connection close cancels everything and gives unsettled messages
     * back; nothing is ever sent on a channel that has closed. The channel stays open while
     * deliveries are outstanding, so they can still be settled, and closes after the last one.
     */
    @Override
    public void close() {
        closed = true;
        consuming = false;
        if (!closeClaimed.compareAndSet(false, true)) {
            return;
        }
        transport.subscriptions().forget(this);
        Channel ch = channel;
        Acks a = acks;
        if (a != null) {
            a.hurry(); // from now on acks go out at once; what waits goes now
        }
        String t = tag;
        if (ch != null && t != null && ch.isOpen() && !transport.isClosing()) {
            offThread("cancel", CANCEL_WAIT_MILLIS, () -> {
                if (ch.isOpen()) {
                    ch.basicCancel(t);
                }
            });
        }
        if (outstanding.get() == 0) {
            closeChannelLater();
        }
    }

    /**
     * Closes, then deletes the queue with {@code queue.delete if-unused} on a channel of its own: a queue
     * another consumer still reads is kept (RabbitMQ refuses), and so is one it cannot delete (logged at
     * debug). Waits for RabbitMQ at most {@link #CANCEL_WAIT_MILLIS}. Reply queues delete themselves.
     */
    @Override
    public void closeAndDelete() {
        close();
        if (address.kind() == Address.Kind.REPLY || transport.isClosing()) {
            return;
        }
        Connection c = transport.consumeConnection();
        if (c == null || !c.isOpen()) {
            log.debug("queue {} not deleted: no connection to RabbitMQ", queue);
            return;
        }
        offThread("queue-delete", CANCEL_WAIT_MILLIS, () -> AmqpConnections.withChannel(c, ch -> {
            try {
                ch.queueDelete(queue, true, false);
                log.debug("deleted queue {}", queue);
            } catch (IOException e) {
                log.debug("queue {} kept: {}", queue, e.getCause() != null ? e.getCause().getMessage() : e.toString());
            }
        }));
    }

    /** How long close() waits for RabbitMQ to confirm the cancel (bounded: it returns anyway). */
    static final long CANCEL_WAIT_MILLIS = 5_000;

    /** A delivery of this subscription was settled (once per delivery). */
    void settled() {
        if (outstanding.decrementAndGet() <= 0 && closed) {
            closeChannelLater();
        }
    }

    /** Closes the channel of a closed subscription off the caller's thread: its close is a broker round trip. */
    private void closeChannelLater() {
        Channel ch = channel;
        Acks a = acks;
        if (ch == null || !ch.isOpen() || transport.isClosing()) {
            return; // the transport's connection close takes it
        }
        offThread("channel-close", 0, () -> {
            if (a != null) {
                a.drain(); // the last acks before the close (a writer busy with them is waited for)
            }
            if (ch.isOpen()) {
                ch.close();
            }
        });
    }

    private interface Io {
        void run() throws IOException, java.util.concurrent.TimeoutException;
    }

    /**
     * Runs a broker round trip on a daemon thread of its own and waits for it at most {@code waitMillis}
     * (0: not at all), so no caller waits longer; a failure is logged at debug (the channel closed, the
     * connection went: the broker gives unsettled messages back either way).
     */
    private void offThread(String what, long waitMillis, Io work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
                log.debug("{} of queue {} failed: {}", what, queue, e.toString());
            }
        }, "courier-amqp-" + what);
        t.setDaemon(true);
        t.start();
        if (waitMillis > 0) {
            try {
                t.join(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
