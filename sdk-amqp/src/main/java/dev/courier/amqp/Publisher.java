package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import dev.courier.spi.support.ConfirmTracker;
import dev.courier.spi.support.ConfirmTracker.Pending;
import dev.courier.spi.support.PublishGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What is AMQP about publishing: one confirm-mode channel, a message written with
 * {@code basic.publish}, RabbitMQ's (multiple) acks and nacks, mandatory returns, the connection's
 * {@code frame_max}. The rest is the support package's: the {@link PublishGate} (wait up to the
 * publish timeout for room, then fail) and the {@link ConfirmTracker} (the deadline sweep, resend
 * after a reconnect, completion on a Courier thread, never on the connection's I/O thread).
 *
 * <p>While no channel is up, or RabbitMQ blocks the connection (a resource alarm), a publish is
 * parked and sent once a channel is up again, until its publish timeout. A returned mandatory
 * message fails with {@link UnroutableException} when its confirm comes. A channel closed by a
 * channel error fails what waits on it and is reopened (the topology declared again). When
 * amqp-client refuses a message after counting it ("out of step"), confirms would no longer match
 * their messages, so the channel is replaced and what waited on it is sent again. Confirm keys
 * carry the channel's generation, so a late confirm of a replaced channel matches nothing. Internal.
 */
final class Publisher {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
    /** RabbitMQ's default frame_max. */
    static final int DEFAULT_FRAME_MAX = 131_072;

    private final String broker;
    private final Topology topology;
    private final ScheduledExecutorService scheduler;
    private final Runnable onChannelError;
    private final PublishGate gate;
    private final ConfirmTracker<ConfirmChannel.Outgoing> tracker;
    private final Object publishLock = new Object();
    private final AtomicLong generations = new AtomicLong();
    private volatile RabbitLink link;
    private volatile ConfirmChannel chan;
    private volatile boolean closing;
    /** The publishing connection's negotiated frame_max: the content-header frame must fit in it. */
    private volatile int frameMax = DEFAULT_FRAME_MAX;

    Publisher(AmqpConfig cfg, Topology topology, Executor completions, ScheduledExecutorService scheduler,
              Runnable onChannelError) {
        this.broker = "RabbitMQ at " + cfg.redactedUri();
        this.topology = topology;
        this.scheduler = scheduler;
        this.onChannelError = onChannelError;
        this.gate = new PublishGate(cfg.confirmWindow());
        this.tracker = new ConfirmTracker<>(broker, gate, completions, scheduler, System::nanoTime);
    }

    void link(RabbitLink link) {
        this.link = link;
        link.onUnblocked(() -> later(this::drain));
    }

    PublishGate gate() {
        return gate;
    }

    int frameMax() {
        return frameMax;
    }

    /** Null when the content-header frame of {@code props} fits the connection's frame_max; else why not. */
    String frameProblem(AMQP.BasicProperties props, Map<String, String> headers, long bodySize) {
        int max = frameMax;
        long bytes = Wire.headerFrameBytes(props, headers, bodySize, max);
        if (bytes <= max) {
            return null;
        }
        return "its properties and headers take " + bytes + " bytes in their AMQP content-header frame, over the"
                + " connection's frame_max of " + max + " bytes (RabbitMQ's frame_max setting): shorten the headers";
    }

    /** Opens the confirm channel on a (new) connection and sends what waits; called before it is current. */
    void connected(Connection c) {
        AmqpConnections.withChannel(c, topology::declareExchanges);
        if (c.getFrameMax() > 0) {
            frameMax = c.getFrameMax();
        }
        Channel ch;
        try {
            ch = c.createChannel();
            ch.confirmSelect();
        } catch (IOException e) {
            throw new PublishException("could not open a publishing channel: " + AmqpConnections.describe(e), e);
        }
        ConfirmChannel[] self = new ConfirmChannel[1];
        ConfirmChannel cs = new ConfirmChannel(ch, generations.incrementAndGet(), tracker, () -> later(() -> retire(self[0],
                "RabbitMQ refused " + ConfirmChannel.NACKS_TO_REPLACE + " publishes in a row on it (nack)")));
        self[0] = cs;
        ch.addShutdownListener(sig -> channelClosed(cs, sig));
        synchronized (publishLock) {
            chan = cs;
            drain();
        }
    }

    /** Sends every parked publish whose deadline has not passed, oldest first. */
    private void drain() {
        synchronized (publishLock) {
            for (Pending<ConfirmChannel.Outgoing> p : tracker.resume()) {
                write(p);
            }
        }
    }

    /**
     * Checks what AMQP cannot carry (body size, short-string properties, routing key, frame_max), then
     * publishes; never throws: a message that does not fit fails its future with {@link PublishException}.
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, Map<String, String> headers,
                                    byte[] body, String what, Duration timeout, int maxMessageSize) {
        AMQP.BasicProperties props = Wire.properties(headers);
        String problem = Wire.publishProblem(headers, body.length, routingKey, maxMessageSize);
        if (problem == null) {
            problem = frameProblem(props, headers, body.length);
        }
        if (problem != null) {
            return CompletableFuture.failedFuture(new PublishException("cannot publish " + what + ": " + problem));
        }
        return publish(exchange, routingKey, mandatory, props, body, what, timeout);
    }

    /** Publishes and returns the confirm future; never throws. Blocks while the window is full. */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                                    byte[] body, String what, Duration timeout) {
        Pending<ConfirmChannel.Outgoing> p = tracker.open(new ConfirmChannel.Outgoing(exchange, routingKey, mandatory, props, body), what, timeout);
        if (!p.isDone()) {
            send(p);
        }
        return p.future();
    }

    /** A new publish goes after those parked before it (publish order), then is written or parked. */
    private void send(Pending<ConfirmChannel.Outgoing> p) {
        synchronized (publishLock) {
            if (tracker.hasParked()) {
                tracker.park(p);
                if (writable(chan)) {
                    drain();
                }
                return;
            }
            write(p);
        }
    }

    private boolean writable(ConfirmChannel cs) {
        RabbitLink l = link;
        return cs != null && cs.ch.isOpen() && (l == null || !l.isBlocked());
    }

    /** Writes {@code p} on the current channel, or parks it while there is none or the connection is blocked. */
    private void write(Pending<ConfirmChannel.Outgoing> p) {
        ConfirmChannel.Outgoing m = p.message();
        synchronized (publishLock) {
            ConfirmChannel cs = chan;
            if (!writable(cs)) {
                tracker.park(p);
                return;
            }
            long seq = cs.ch.getNextPublishSeqNo();
            long key = cs.key(seq);
            m.key = key;
            p.note(null);
            tracker.sent(key, p);
            try {
                cs.ch.basicPublish(m.exchange, m.routingKey, m.mandatory, m.props, m.body);
            } catch (IOException | AlreadyClosedException e) {
                if (tracker.unsent(key) != null) {
                    ShutdownSignalException why = cs.ch.getCloseReason();
                    if (why == null || why.isHardError()) {
                        tracker.parkAll(); // the older unconfirmed ones first: publish order survives the outage
                    }
                    tracker.park(p); // the channel is closing: sent again on the next one
                }
                log.debug("publish of {} hit a closing channel ({}); it waits for a new one", p.what(), e.toString());
            } catch (RuntimeException e) {
                refused(cs, seq, key, p, e);
            }
        }
    }

    /**
     * amqp-client refused the message itself (a check the transport did not foresee). If it counted
     * the publish already, every later confirm on this channel would settle the wrong message, so
     * the channel is replaced and what waits on it is sent again on the new one. Under the publish lock.
     */
    private void refused(ConfirmChannel cs, long seq, long key, Pending<ConfirmChannel.Outgoing> p, RuntimeException e) {
        Pending<ConfirmChannel.Outgoing> mine = tracker.unsent(key);
        if (cs.ch.getNextPublishSeqNo() != seq) {
            cs.outOfStep = true;
            chan = null;
            log.warn("amqp-client refused {} after counting it ({}); replacing the publishing channel so that"
                    + " confirms stay matched", p.what(), e.toString());
            tracker.parkAll();
            try {
                cs.ch.abort();
            } catch (IOException | RuntimeException ignored) {
                // closing it is all that matters
            }
        }
        if (mine != null) {
            tracker.complete(mine, new PublishException(p.what() + " was refused by amqp-client: " + e.getMessage(), e));
        }
    }

    /**
     * Replaces the channel {@code cs}: what waits on it is sent again on the next one. Used for a channel
     * RabbitMQ keeps refusing (see {@link ConfirmChannel#NACKS_TO_REPLACE}).
     */
    private void retire(ConfirmChannel cs, String why) {
        synchronized (publishLock) {
            if (chan != cs || closing) {
                return;
            }
            cs.outOfStep = true;
            chan = null;
            log.warn("replacing the publishing channel: {}", why);
            tracker.parkAll();
            try {
                cs.ch.abort();
            } catch (IOException | RuntimeException ignored) {
                // closing it is all that matters
            }
        }
    }

    /** @return the generation of the current publishing channel, 0 when none; for tests */
    long channelGeneration() {
        ConfirmChannel cs = chan;
        return cs == null ? 0 : cs.generation();
    }

    private void channelClosed(ConfirmChannel cs, ShutdownSignalException sig) {
        synchronized (publishLock) {
            if (chan == cs) {
                chan = null;
            }
        }
        if (closing) {
            return;
        }
        if (cs.outOfStep) {
            later(this::reopen); // what waited on it was parked already
            return;
        }
        if (sig.isHardError()) {
            tracker.parkAll(); // the connection dropped: sent again, same id, on the next one (receivers deduplicate)
            return;
        }
        tracker.failUpTo(cs.key(ConfirmChannel.MAX_SEQ), new PublishException("a publish was not confirmed: the"
                + " channel closed before RabbitMQ confirmed it (" + sig.getMessage() + "); it may or may not have"
                + " arrived, and publishing it again is safe"));
        log.warn("publishing channel closed by RabbitMQ ({}); reopening it and declaring the topology again",
                sig.getMessage());
        later(() -> {
            reopen();
            onChannelError.run();
        });
    }

    /** Runs {@code r} on the scheduler, off amqp-client's threads; nothing once the transport has shut it down. */
    private void later(Runnable r) {
        try {
            scheduler.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            // the transport is closing
        }
    }

    private void reopen() {
        RabbitLink l = link;
        Connection c = l == null ? null : l.current();
        if (c == null || closing || chan != null) {
            return; // a lost connection gets its channel when the link reconnects
        }
        try {
            connected(c);
        } catch (RuntimeException e) {
            log.warn("reopening the publishing channel failed ({}); retrying", e.getMessage());
            try {
                scheduler.schedule(this::reopen, 500, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the transport is closing
            }
        }
    }

    /** Runs declarations on a throw-away channel of the current connection (a refusal closes it). */
    void declare(java.util.function.Consumer<Channel> declarations, long deadlineNanos) {
        RabbitLink l = link;
        Connection c = l == null ? null : l.reconnector().await(deadlineNanos);
        if (c == null) {
            throw new PublishTimeoutException(broker + " was unreachable for the publish timeout");
        }
        AmqpConnections.withChannel(c, declarations);
    }

    /** Waits for the sent messages' confirms up to {@code patience}, then fails what is left. */
    void close(Duration patience) {
        List<CompletableFuture<Void>> waiting = new ArrayList<>();
        for (Pending<ConfirmChannel.Outgoing> p : tracker.inFlight()) {
            waiting.add(p.future());
        }
        if (!waiting.isEmpty() && chan != null) {
            try {
                CompletableFuture.allOf(waiting.toArray(new CompletableFuture<?>[0]))
                        .get(patience.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // failed or late: failed below
            }
        }
        closing = true;
        tracker.close();
    }
}
