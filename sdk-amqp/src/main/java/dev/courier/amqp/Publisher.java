package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publishes on one confirm-mode channel with asynchronous, pipelined publisher confirms and a
 * bounded in-flight window. A publish's future completes on the broker's ack and fails on a nack, a
 * return (mandatory and unroutable), the channel's close, or the publish timeout; none waits
 * forever. While the connection is away or blocked by a resource alarm, a publish waits for it up to
 * the publish timeout (the core's back-pressure policy), then fails with
 * {@link PublishTimeoutException}. A channel closed by a channel error is reopened at once.
 * Futures are completed on a Courier thread, never on the connection's I/O thread, so code that
 * publishes again from a completion cannot stall the confirms it waits for. Internal.
 */
final class Publisher {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final AmqpConfig cfg;
    private final Topology topology;
    private final Executor completions;
    private final ScheduledExecutorService scheduler;
    private final Semaphore window;
    private final Runnable onChannelError;
    private final Object publishLock = new Object();
    private final Object chanMonitor = new Object();
    private volatile Link link;
    private volatile Chan chan;
    private volatile boolean closing;
    /** RabbitMQ's default frame_max. */
    static final int DEFAULT_FRAME_MAX = 131_072;
    /** The publishing connection's negotiated frame_max: the content-header frame must fit in it. */
    private volatile int frameMax = DEFAULT_FRAME_MAX;

    Publisher(AmqpConfig cfg, Topology topology, Executor completions, ScheduledExecutorService scheduler,
              Runnable onChannelError) {
        this.cfg = cfg;
        this.onChannelError = onChannelError;
        this.topology = topology;
        this.completions = completions;
        this.scheduler = scheduler;
        this.window = new Semaphore(cfg.confirmWindow());
        scheduler.scheduleWithFixedDelay(this::expire, 100, 100, TimeUnit.MILLISECONDS);
    }

    void link(Link link) {
        this.link = link;
    }

    /** One message waiting for its confirm. */
    private static final class Pending {
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final long deadline;
        final String what;
        final String messageId;
        final String exchange;
        final String routingKey;
        final boolean mandatory;
        final AMQP.BasicProperties props;
        final byte[] body;
        volatile String returned;

        Pending(long deadline, String what, String exchange, String routingKey, boolean mandatory,
                AMQP.BasicProperties props, byte[] body) {
            this.props = props;
            this.body = body;
            this.messageId = Wire.idOf(props);
            this.deadline = deadline;
            this.what = what;
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.mandatory = mandatory;
        }
    }

    /** A confirm-mode channel and the messages it has not confirmed yet, by sequence number. */
    private final class Chan {
        final Channel ch;
        final ConcurrentSkipListMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
        /** amqp-client counted a publish it then refused: confirms no longer match; the channel is replaced. */
        volatile boolean outOfStep;

        Chan(Channel ch) {
            this.ch = ch;
        }

        void ack(long seq, boolean multiple) {
            settle(take(seq, multiple), null);
        }

        void nack(long seq, boolean multiple) {
            settle(take(seq, multiple), "RabbitMQ refused it (nack)");
        }

        private List<Pending> take(long seq, boolean multiple) {
            List<Pending> out = new ArrayList<>();
            if (multiple) {
                ConcurrentNavigableMap<Long, Pending> head = pending.headMap(seq, true);
                for (Long k : head.keySet()) {
                    Pending p = pending.remove(k);
                    if (p != null) {
                        out.add(p);
                    }
                }
            } else {
                Pending p = pending.remove(seq);
                if (p != null) {
                    out.add(p);
                }
            }
            return out;
        }

        void returned(Return r) {
            String id = Wire.idOf(r.getProperties());
            for (Pending p : pending.values()) {
                if (p.mandatory && p.returned == null && Objects.equals(p.messageId, id)
                        && p.exchange.equals(r.getExchange()) && p.routingKey.equals(r.getRoutingKey())) {
                    p.returned = r.getReplyText();
                    return;
                }
            }
        }
    }

    private void settle(List<Pending> done, String nack) {
        if (done.isEmpty()) {
            return;
        }
        window.release(done.size());
        completions.execute(() -> {
            for (Pending p : done) {
                if (nack != null) {
                    p.future.completeExceptionally(new PublishException(p.what + " was not taken: " + nack));
                } else if (p.returned != null) {
                    p.future.completeExceptionally(new dev.courier.UnroutableException("unroutable: nobody consumes " + p.what
                            + " (RabbitMQ returned it: " + p.returned + "; no queue bound yet, or it was deleted)"));
                } else {
                    p.future.complete(null);
                }
            }
        });
    }

    /** Opens the confirm channel on a (new) connection; called by the link before it reports up. */
    void connected(Connection c) {
        withChannel(c, topology::declareExchanges);
        if (c.getFrameMax() > 0) {
            frameMax = c.getFrameMax();
        }
        openChannel(c);
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

    private void openChannel(Connection c) {
        Channel ch;
        try {
            ch = c.createChannel();
            ch.confirmSelect();
        } catch (IOException e) {
            throw new PublishException("could not open a publishing channel: " + Link.describe(e), e);
        }
        Chan cs = new Chan(ch);
        ch.addConfirmListener(cs::ack, cs::nack);
        ch.addReturnListener(cs::returned);
        ch.addShutdownListener(sig -> channelClosed(cs, sig));
        synchronized (chanMonitor) {
            chan = cs;
            chanMonitor.notifyAll();
        }
    }

    private void channelClosed(Chan cs, ShutdownSignalException sig) {
        synchronized (chanMonitor) {
            if (chan == cs) {
                chan = null;
            }
        }
        if (cs.outOfStep) {
            if (!closing) {
                scheduler.execute(this::reopen); // its unconfirmed messages were handed to resendLater already
            }
            return;
        }
        if (sig.isHardError() && !closing) {
            resendLater(cs);
            return; // the link recovers the connection; the resend waits for it
        }
        failAll(cs, "the channel closed before RabbitMQ confirmed it (" + sig.getMessage()
                + "); it may or may not have arrived, and publishing it again is safe");
        if (closing) {
            return;
        }
        log.warn("publishing channel closed by RabbitMQ ({}); reopening it and declaring the topology again",
                sig.getMessage());
        scheduler.execute(() -> {
            reopen();
            onChannelError.run();
        });
    }

    /**
     * The connection dropped before these messages were confirmed: they are published again, with
     * the same id, on the next connection, each until its own publish timeout. The broker may then
     * hold two copies; receivers deduplicate by id. Runs on its own thread: it waits for the link,
     * which reconnects on the scheduler.
     */
    private void resendLater(Chan cs) {
        List<Pending> unconfirmed = new ArrayList<>();
        for (Long k : cs.pending.keySet()) {
            Pending p = cs.pending.remove(k);
            if (p != null) {
                unconfirmed.add(p);
            }
        }
        if (unconfirmed.isEmpty()) {
            return;
        }
        log.debug("{} message(s) unconfirmed when the connection dropped; publishing them again once it is back",
                unconfirmed.size());
        Thread t = new Thread(() -> {
            for (Pending p : unconfirmed) {
                long left = p.deadline - System.nanoTime();
                if (left <= 0) {
                    window.release();
                    completions.execute(() -> p.future.completeExceptionally(new PublishTimeoutException("no confirm"
                            + " from RabbitMQ for " + p.what + " within the publish timeout (the connection dropped);"
                            + " it may or may not have arrived")));
                    continue;
                }
                CompletableFuture<Void> f = send(p, Duration.ofNanos(left));
                if (f != p.future) {
                    f.whenComplete((x, e) -> p.future.completeExceptionally(e)); // send gave up: its permit was released
                }
            }
        }, "courier-amqp-resend");
        t.setDaemon(true);
        t.start();
    }

    private void reopen() {
        Link l = link;
        Connection c = l == null ? null : l.current();
        if (c == null || closing || chan != null) {
            return;
        }
        try {
            connected(c);
        } catch (RuntimeException e) {
            log.warn("reopening the publishing channel failed ({}); retrying", e.getMessage());
            scheduler.schedule(this::reopen, 500, TimeUnit.MILLISECONDS);
        }
    }

    private void failAll(Chan cs, String why) {
        List<Pending> failed = new ArrayList<>();
        for (Long k : cs.pending.keySet()) {
            Pending p = cs.pending.remove(k);
            if (p != null) {
                failed.add(p);
            }
        }
        if (failed.isEmpty()) {
            return;
        }
        window.release(failed.size());
        completions.execute(() -> {
            for (Pending p : failed) {
                p.future.completeExceptionally(new PublishException(p.what + " not confirmed: " + why));
            }
        });
    }

    /** Fails confirms that passed their deadline (a scan of at most the window, ten times a second). */
    private void expire() {
        Chan cs = chan;
        if (cs == null) {
            return;
        }
        long now = System.nanoTime();
        List<Pending> late = new ArrayList<>();
        for (Map.Entry<Long, Pending> e : cs.pending.entrySet()) {
            if (e.getValue().deadline - now > 0) {
                continue; // not in strict deadline order: messages sent again after a reconnect keep theirs
            }
            Pending p = cs.pending.remove(e.getKey());
            if (p != null) {
                late.add(p);
            }
        }
        if (late.isEmpty()) {
            return;
        }
        window.release(late.size());
        completions.execute(() -> {
            for (Pending p : late) {
                p.future.completeExceptionally(new PublishTimeoutException("no confirm from RabbitMQ for " + p.what
                        + " within the publish timeout; it may or may not have arrived"));
            }
        });
    }

    /** Runs declarations on a throw-away channel of the current connection (a refusal closes it). */
    void declare(java.util.function.Consumer<Channel> declarations, long deadlineNanos) {
        Link l = link;
        Connection c = l == null ? null : l.await(deadlineNanos);
        if (c == null) {
            throw new PublishTimeoutException("RabbitMQ at " + cfg.redactedUri() + " unreachable for the publish timeout");
        }
        withChannel(c, declarations);
    }

    static void withChannel(Connection c, java.util.function.Consumer<Channel> work) {
        Channel ch = null;
        try {
            ch = c.createChannel();
            work.accept(ch);
        } catch (IOException e) {
            throw Topology.translate(e, "a declaration");
        } finally {
            if (ch != null && ch.isOpen()) {
                try {
                    ch.close();
                } catch (IOException | java.util.concurrent.TimeoutException | ShutdownSignalException e) {
                    // the work is done; a failed close changes nothing
                }
            }
        }
    }

    /** Publishes and returns the confirm future; never throws. */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                                    byte[] body, String what, Duration timeout) {
        if (closing) {
            return CompletableFuture.failedFuture(new PublishException("AMQP transport is closed; cannot publish " + what));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (!window.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return CompletableFuture.failedFuture(new PublishTimeoutException("no room to publish " + what + ": "
                        + cfg.confirmWindow() + " messages waited for RabbitMQ's confirm for the whole publish timeout of "
                        + timeout));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new PublishException("interrupted while publishing " + what, e));
        }
        Pending p = new Pending(deadline, what, exchange, routingKey, mandatory, props, body);
        return send(p, timeout);
    }

    /** Publishes {@code p} on the current channel, waiting for one up to its deadline; keeps its permit. */
    private CompletableFuture<Void> send(Pending p, Duration timeout) {
        String what = p.what;
        long deadline = p.deadline;
        while (true) {
            Chan cs = awaitChan(deadline);
            if (cs == null) {
                window.release();
                Link l = link;
                String why = closing ? "the AMQP transport closed" : l != null && l.isBlocked()
                        ? "RabbitMQ blocked publishing (" + l.blockedReason() + ")"
                        : "RabbitMQ at " + cfg.redactedUri() + " was unreachable";
                return CompletableFuture.failedFuture(new PublishTimeoutException("could not publish " + what + ": " + why
                        + " for the whole publish timeout of " + timeout));
            }
            synchronized (publishLock) {
                long seq = cs.ch.getNextPublishSeqNo();
                p.returned = null;
                cs.pending.put(seq, p);
                try {
                    cs.ch.basicPublish(p.exchange, p.routingKey, p.mandatory, p.props, p.body);
                    return p.future;
                } catch (IOException | AlreadyClosedException e) {
                    if (cs.pending.remove(seq) == null) {
                        return p.future; // failed by the channel's close listener already
                    }
                    log.debug("publish of {} hit a closing channel ({}); waiting for a new one", what, e.toString());
                } catch (RuntimeException e) {
                    return refused(cs, seq, p, e);
                }
            }
        }
    }

    /**
     * amqp-client refused the message itself (a check the transport did not foresee). It may have
     * counted the publish already: then every later confirm on this channel would settle the wrong
     * message, so the channel is replaced and what waits on it is published again on the new one.
     * Called under the publish lock.
     */
    private CompletableFuture<Void> refused(Chan cs, long seq, Pending p, RuntimeException e) {
        boolean mine = cs.pending.remove(seq) != null;
        if (cs.ch.getNextPublishSeqNo() != seq) {
            cs.outOfStep = true;
            synchronized (chanMonitor) {
                if (chan == cs) {
                    chan = null;
                }
            }
            log.warn("amqp-client refused {} after counting it ({}); replacing the publishing channel so that"
                    + " confirms stay matched", p.what, e.toString());
            resendLater(cs);
            try {
                cs.ch.abort();
            } catch (IOException | RuntimeException ignored) {
                // closing it is all that matters
            }
        }
        if (mine) {
            window.release();
            completions.execute(() -> p.future.completeExceptionally(new PublishException(p.what
                    + " was refused by amqp-client: " + e.getMessage(), e)));
        }
        return p.future;
    }

    private Chan awaitChan(long deadline) {
        synchronized (chanMonitor) {
            while (true) {
                Chan cs = chan;
                Link l = link;
                if (cs != null && cs.ch.isOpen() && (l == null || !l.isBlocked())) {
                    return cs;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closing) {
                    return null;
                }
                try {
                    chanMonitor.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    int inFlight() {
        Chan cs = chan;
        return cs == null ? 0 : cs.pending.size();
    }

    /** Waits for outstanding confirms up to {@code patience}, then fails what is left. */
    void close(Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        Chan cs = chan;
        while (cs != null && !cs.pending.isEmpty() && System.nanoTime() < deadline && cs.ch.isOpen()) {
            synchronized (chanMonitor) {
                try {
                    chanMonitor.wait(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        closing = true;
        synchronized (chanMonitor) {
            chanMonitor.notifyAll();
        }
        if (cs != null) {
            failAll(cs, "the AMQP transport closed");
        }
    }
}
