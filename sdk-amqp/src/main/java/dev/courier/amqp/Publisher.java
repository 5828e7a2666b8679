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
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
 * carry the channel's generation, so a late confirm of a replaced channel matches nothing.
 *
 * <p>Only the publisher's own writer thread writes to the socket: {@link #publish} queues the message
 * (as a parked publish of the {@link ConfirmTracker}) and returns, so a broker that stops reading the
 * socket (a connection in flow that never ends) blocks the writer, never the caller, whose future
 * times out with the publish timeout. A channel RabbitMQ nacked {@link ConfirmChannel#NACKS_TO_REPLACE}
 * publishes on in a row is replaced. A channel that confirmed nothing for {@code stallAfter} while a
 * publish waited (and RabbitMQ did not say it blocks the connection) is {@linkplain
 * ConfirmChannel#distrust distrusted} and given up with its connection: its socket is closed at once
 * ({@link FrameGuard#sever}, which also wakes a writer blocked on it), and what it had not confirmed
 * is sent again, same id, on the next connection, within each publish's timeout. Internal.
 */
final class Publisher {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
    /** RabbitMQ's default frame_max. */
    static final int DEFAULT_FRAME_MAX = 131_072;
    /** How often the publisher looks for a channel that stopped confirming. */
    private static final long WATCH_MILLIS = 250;

    private final String broker;
    private final Topology topology;
    private final ScheduledExecutorService scheduler;
    private final Executor writer;
    private final Runnable onChannelError;
    private final PublishGate gate;
    private final ConfirmTracker<ConfirmChannel.Outgoing> tracker;
    private final long stallAfterNanos;
    private final AtomicLong generations = new AtomicLong();
    private final AtomicLong orders = new AtomicLong();
    /** A drain is queued on the writer and has not started yet. */
    private final AtomicBoolean kicked = new AtomicBoolean();
    private final AtomicReference<ConfirmChannel> chan = new AtomicReference<>();
    private final ScheduledFuture<?> watch;
    private volatile RabbitLink link;
    private volatile boolean closing;
    /** When the writer entered basicPublish ({@link System#nanoTime()}), 0 while it is not in one. */
    private volatile long writingSince;
    /** The guard whose flushes the writer held back in the current run ({@link #drain}); writer thread only. */
    private FrameGuard heldGuard;
    /** The publishing connection's negotiated frame_max: the content-header frame must fit in it. */
    private volatile int frameMax = DEFAULT_FRAME_MAX;

    /**
     * @param completions where publish futures complete
     * @param scheduler   the confirm sweep, the stall watch, channel reopening
     * @param writer      one thread: every socket write of a publish runs on it
     * @param stallAfter  how long a channel may leave publishes unconfirmed without confirming anything
     *                    before it is replaced (half the publish timeout, so what it held can be sent again)
     */
    Publisher(AmqpConfig cfg, Topology topology, Executor completions, ScheduledExecutorService scheduler,
              Executor writer, Duration stallAfter, Runnable onChannelError) {
        this.broker = "RabbitMQ at " + cfg.redactedUri();
        this.topology = topology;
        this.scheduler = scheduler;
        this.writer = writer;
        this.stallAfterNanos = stallAfter.toNanos();
        this.onChannelError = onChannelError;
        this.gate = new PublishGate(cfg.confirmWindow());
        this.tracker = new ConfirmTracker<>(broker, gate, completions, scheduler, System::nanoTime);
        this.watch = scheduler.scheduleWithFixedDelay(this::watch, WATCH_MILLIS, WATCH_MILLIS, TimeUnit.MILLISECONDS);
    }

    void link(RabbitLink link) {
        this.link = link;
        link.onUnblocked(this::kick);
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
        ConfirmChannel cs = new ConfirmChannel(ch, generations.incrementAndGet(), tracker, () -> onWriter(() -> retire(
                self[0], "RabbitMQ refused " + ConfirmChannel.NACKS_TO_REPLACE + " publishes in a row on it (nack)")),
                this::distrusted);
        self[0] = cs;
        ch.addShutdownListener(sig -> channelClosed(cs, sig));
        chan.set(cs);
        kick();
    }

    /** Has the writer send what waits (once more if it is draining now). Never blocks. */
    private void kick() {
        if (kicked.getAndSet(true)) {
            return; // a drain is queued and will see what was parked before this call
        }
        try {
            writer.execute(() -> {
                kicked.set(false);
                drain();
            });
        } catch (RejectedExecutionException closed) {
            kicked.set(false); // the transport is closing: the tracker fails what waits
        }
    }

    private static final Comparator<Pending<ConfirmChannel.Outgoing>> PUBLISH_ORDER =
            Comparator.comparingLong(p -> p.message().order);

    /** On the writer: sends every parked publish whose deadline has not passed, in publish order. */
    private void drain() {
        if (!writable(chan.get())) {
            return; // parked until a channel is up or RabbitMQ unblocks (both kick again); the sweep times them out
        }
        List<Pending<ConfirmChannel.Outgoing>> ps = tracker.resume();
        if (ps.size() > 1) {
            ps.sort(PUBLISH_ORDER); // unconfirmed ones parked at a loss go before the newer ones parked earlier
        }
        int unflushed = 0;
        for (Pending<ConfirmChannel.Outgoing> p : ps) {
            write(p);
            if (++unflushed == FLUSH_EVERY) {
                flushHeld();
                unflushed = 0;
            }
        }
        flushHeld();
    }

    /** The most publishes the writer sends with one socket flush (a run is as long as what was parked). */
    static final int FLUSH_EVERY = 256;

    /**
     * On the writer: the one socket flush of a run of publishes ({@link FrameGuard#hold}). A failed
     * flush means a lost connection: what it carried stays in flight and is parked and sent again,
     * same id, when amqp-client reports the connection down.
     */
    private void flushHeld() {
        FrameGuard g = heldGuard;
        heldGuard = null;
        if (g == null) {
            return;
        }
        writingSince = System.nanoTime();
        try {
            g.flushHeld();
        } catch (IOException | RuntimeException e) {
            log.debug("flushing the publishes written to {} failed ({}); they are sent again on the next connection",
                    broker, e.toString());
        } finally {
            writingSince = 0;
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

    /**
     * Publishes and returns the confirm future; never throws. Blocks while the window is full (up to
     * {@code timeout}), never on the socket: the writer thread sends it.
     */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                                    byte[] body, String what, Duration timeout) {
        Pending<ConfirmChannel.Outgoing> p = tracker.open(new ConfirmChannel.Outgoing(exchange, routingKey, mandatory,
                props, body, orders.incrementAndGet()), what, timeout);
        if (!p.isDone()) {
            tracker.park(p);
            kick();
        }
        return p.future();
    }

    private boolean writable(ConfirmChannel cs) {
        RabbitLink l = link;
        return cs != null && cs.ch.isOpen() && (l == null || !l.isBlocked());
    }

    /**
     * On the writer: writes {@code p} on the current channel, or parks it while there is none or the
     * connection is blocked.
     */
    private void write(Pending<ConfirmChannel.Outgoing> p) {
        ConfirmChannel.Outgoing m = p.message();
        ConfirmChannel cs = chan.get();
        if (!writable(cs)) {
            tracker.park(p);
            return;
        }
        long seq = cs.ch.getNextPublishSeqNo();
        long key = cs.key(seq);
        m.key = key;
        p.note(null);
        long now = System.nanoTime();
        m.sentNanos = now;
        tracker.sent(key, p);
        FrameGuard g = cs.guard;
        if (g != heldGuard && heldGuard != null) {
            flushHeld(); // the run moved to another connection: what the last one holds goes out first
        }
        heldGuard = g;
        writingSince = now;
        try {
            if (g != null) {
                g.hold(); // amqp-client's flush after the publish waits for the end of the run (drain)
            }
            try {
                cs.ch.basicPublish(m.exchange, m.routingKey, m.mandatory, m.props, m.body);
            } finally {
                if (g != null) {
                    g.release(); // before any handling below: an abort there must reach the socket
                }
            }
        } catch (IOException | AlreadyClosedException e) {
            if (tracker.unsent(key) != null) {
                ShutdownSignalException why = cs.ch.getCloseReason();
                if (why == null || why.isHardError()) {
                    tracker.parkAll(); // sent again on the next connection (drain restores publish order)
                }
                tracker.park(p); // the channel is closing: sent again on the next one
            }
            log.debug("publish of {} hit a closing channel ({}); it waits for a new one", p.what(), e.toString());
        } catch (RuntimeException e) {
            refused(cs, seq, key, p, e);
        } finally {
            writingSince = 0;
        }
    }

    /**
     * On the scheduler: a channel that left publishes unconfirmed for {@code stallAfter} without
     * confirming anything is distrusted (RabbitMQ 3.10's quorum-queue channel that waits forever for a
     * crashed node, holding the connection in flow). A connection RabbitMQ blocks (a resource alarm)
     * is waiting on purpose: that time is not held against the channel.
     */
    private void watch() {
        ConfirmChannel cs = chan.get();
        if (cs == null || closing || cs.isDistrusted()) {
            return;
        }
        long now = System.nanoTime();
        RabbitLink l = link;
        if (l != null && l.isBlocked()) {
            cs.heard(now);
            return;
        }
        Iterator<Pending<ConfirmChannel.Outgoing>> it = tracker.inFlight().iterator();
        if (!it.hasNext()) {
            return;
        }
        long oldest = it.next().message().sentNanos;
        long quiet = now - Math.max(oldest, cs.lastConfirmNanos());
        if (quiet > stallAfterNanos) {
            cs.distrust("no confirm for " + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms while " + tracker.inFlight().size()
                    + " publishes waited" + (writingSince != 0 ? ", the socket write blocked since "
                    + TimeUnit.NANOSECONDS.toMillis(now - writingSince) + " ms (RabbitMQ does not read it)" : ""));
        }
    }

    /**
     * The channel does not work any more (its {@link ConfirmChannel#distrust} said so): no new write
     * goes to it, what it had not confirmed is parked (sent again, same id, on the next connection), and
     * its connection is severed, so that the link reconnects — to a node and channel that work, e.g.
     * once the quorum queue has its new leader.
     */
    private void distrusted(ConfirmChannel cs, String why) {
        chan.compareAndSet(cs, null);
        if (closing) {
            return;
        }
        log.warn("the publishing channel to {} does not work any more ({}); reconnecting, and sending its {}"
                + " unconfirmed publishes again", broker, why, tracker.inFlight().size());
        tracker.parkAll();
        FrameGuard.sever(cs.ch.getConnection());
    }

    /**
     * amqp-client refused the message itself (a check the transport did not foresee). If it counted
     * the publish already, every later confirm on this channel would settle the wrong message, so
     * the channel is replaced and what waits on it is sent again on the new one. On the writer.
     */
    private void refused(ConfirmChannel cs, long seq, long key, Pending<ConfirmChannel.Outgoing> p, RuntimeException e) {
        Pending<ConfirmChannel.Outgoing> mine = tracker.unsent(key);
        if (cs.ch.getNextPublishSeqNo() != seq) {
            cs.outOfStep = true;
            chan.compareAndSet(cs, null);
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
        if (closing || !chan.compareAndSet(cs, null)) {
            return;
        }
        cs.outOfStep = true;
        log.warn("replacing the publishing channel: {}", why);
        tracker.parkAll();
        try {
            cs.ch.abort(); // on the writer: should the socket be stuck, the stall watch severs it and this returns
        } catch (IOException | RuntimeException ignored) {
            // closing it is all that matters
        }
    }

    /** Runs {@code r} on the writer thread (the one that may block on the socket); nothing once it is shut down. */
    private void onWriter(Runnable r) {
        try {
            writer.execute(r);
        } catch (RejectedExecutionException closed) {
            // the transport is closing
        }
    }

    /** @return the generation of the current publishing channel, 0 when none; for tests */
    long channelGeneration() {
        ConfirmChannel cs = chan.get();
        return cs == null ? 0 : cs.generation();
    }

    private void channelClosed(ConfirmChannel cs, ShutdownSignalException sig) {
        chan.compareAndSet(cs, null);
        if (closing) {
            return;
        }
        if (cs.outOfStep) {
            later(this::reopen); // what waited on it was parked already
            return;
        }
        if (sig.isHardError() || cs.isDistrusted()) {
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
        if (c == null || closing || chan.get() != null) {
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
        if (!waiting.isEmpty() && chan.get() != null) {
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
        watch.cancel(false);
        ConfirmChannel cs = chan.get();
        if (cs != null && writingSince != 0) {
            // the writer is stuck in a socket RabbitMQ does not read: closing the connection would wait for it
            FrameGuard.sever(cs.ch.getConnection());
        }
        tracker.close();
    }
}
