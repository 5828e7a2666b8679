package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Return;
import dev.courier.PublishException;
import dev.courier.UnroutableException;
import dev.courier.spi.support.ConfirmTracker;
import dev.courier.spi.support.ConfirmTracker.Pending;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One confirm-mode publishing channel and what RabbitMQ says on it: acks and nacks (single or
 * multiple) and returns of mandatory messages, turned into {@link ConfirmTracker} calls. A confirm
 * key is the channel's generation and its publish sequence number ({@link #key}), so a late confirm
 * of a replaced channel matches nothing, and a multiple ack never reaches a newer channel's publishes. A
 * returned message is noted on its publish ({@link Pending#note}) and fails with
 * {@link UnroutableException} when its confirm comes (RabbitMQ sends the return first).
 *
 * <p>It also tells whether the channel still works: after {@link #NACKS_TO_REPLACE} nacks in a row
 * without an ack it reports itself poisoned (RabbitMQ 3.10 leaves a channel that published to a quorum
 * queue whose leader node had just crashed nacking every publish for good) and the {@link Publisher}
 * replaces it; it keeps the time of its last confirm, and the publisher {@linkplain #distrust
 * distrusts} it when none came for a long time while publishes waited. Internal.
 */
final class ConfirmChannel {
    /** Bits of a key that hold the sequence number; the generation is above them. */
    private static final int SEQ_BITS = 40;
    /** The largest sequence number a channel uses before it would reach into the next generation. */
    static final long MAX_SEQ = (1L << SEQ_BITS) - 1;
    /** Told once when the channel is found not to work any more. */
    interface Distrust {
        /**
         * @param cs  the channel, already marked untrusted
         * @param why what was seen, for the log
         */
        void distrusted(ConfirmChannel cs, String why);
    }

    /** A message as sent: all a resend needs, and its confirm key on the current channel. */
    static final class Outgoing {
        final String exchange;
        final String routingKey;
        final boolean mandatory;
        final AMQP.BasicProperties props;
        final byte[] body;
        final String messageId;
        /** The publish's place in the order of publish calls: what was parked is sent again in this order. */
        final long order;
        volatile long key;
        /** When it was last written ({@link System#nanoTime()}). */
        volatile long sentNanos;

        Outgoing(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props, byte[] body,
                 long order) {
            this.exchange = exchange;
            this.routingKey = routingKey;
            this.mandatory = mandatory;
            this.props = props;
            this.body = body;
            this.messageId = Wire.idOf(props);
            this.order = order;
        }
    }

    /** Publishes nacked in a row, with no ack between, after which the channel is taken for poisoned and replaced. */
    static final int NACKS_TO_REPLACE = 64;

    final Channel ch;
    /** The guard of the channel's connection (flushes held during a run of publishes), or null. */
    final FrameGuard guard;
    private final long generation;
    private final ConfirmTracker<Outgoing> tracker;
    private final Runnable poisoned;
    private int nacksInARow;
    /** amqp-client counted a publish it then refused: confirms no longer match; the channel is replaced. */
    volatile boolean outOfStep;
    private final Distrust onDistrust;
    private final AtomicBoolean distrusted = new AtomicBoolean();
    /** When RabbitMQ last confirmed (ack or nack) anything on this channel, or it was opened. */
    private volatile long lastConfirmNanos = System.nanoTime();

    /**
     * @param poisoned   called (on amqp-client's thread, once) when {@link #NACKS_TO_REPLACE} nacks came in a
     *                   row: a channel RabbitMQ refuses everything on (a quorum queue whose recorded leader died,
     *                   RabbitMQ before 3.11) is replaced rather than kept until the process restarts
     * @param onDistrust told when the publisher finds the channel stalled ({@link #distrust})
     */
    ConfirmChannel(Channel ch, long generation, ConfirmTracker<Outgoing> tracker, Runnable poisoned,
                   Distrust onDistrust) {
        this.ch = ch;
        this.guard = FrameGuard.of(ch.getConnection());
        this.generation = generation;
        this.tracker = tracker;
        this.poisoned = poisoned;
        this.onDistrust = onDistrust;
        ch.addConfirmListener(this::ack, this::nack);
        ch.addReturnListener(this::returned);
    }

    /** @return when RabbitMQ last confirmed anything here (or the channel opened, or {@link #heard} was called) */
    long lastConfirmNanos() {
        return lastConfirmNanos;
    }

    /** Counts as a sign of life: a quiet time before {@code now} is not held against the channel. */
    void heard(long now) {
        lastConfirmNanos = now;
    }

    /** @return whether the channel was found not to work any more */
    boolean isDistrusted() {
        return distrusted.get();
    }

    /**
     * Marks the channel untrusted (once) and tells the publisher, which replaces it.
     *
     * @param why what was seen
     * @return true for the call that marked it
     */
    boolean distrust(String why) {
        if (!distrusted.compareAndSet(false, true)) {
            return false;
        }
        onDistrust.distrusted(this, why);
        return true;
    }

    /** @return the confirm key of sequence number {@code seq} on this channel */
    long key(long seq) {
        return (generation << SEQ_BITS) | seq;
    }

    /** @return the generation of this channel (1 for the first channel of a transport) */
    long generation() {
        return generation;
    }

    private void ack(long seq, boolean multiple) {
        lastConfirmNanos = System.nanoTime();
        nacksInARow = 0; // confirms come on one thread (the connection's), in order
        long key = key(seq);
        if (!multiple) {
            Pending<Outgoing> p = tracker.get(key);
            if (p != null && p.note() != null) {
                tracker.fail(key, unroutable(p));
            } else {
                tracker.confirm(key);
            }
            return;
        }
        for (Pending<Outgoing> p : tracker.inFlight()) {
            long k = p.message().key;
            if (k > key) {
                break;
            }
            if (p.note() != null) {
                tracker.fail(k, unroutable(p));
            }
        }
        tracker.confirmUpTo(key);
    }

    private void nack(long seq, boolean multiple) {
        lastConfirmNanos = System.nanoTime();
        long key = key(seq);
        Pending<Outgoing> p = multiple ? null : tracker.get(key);
        PublishException e = new PublishException((p == null ? "the publish" : p.what()) + " was not taken:"
                + " RabbitMQ refused it (nack)");
        int n = multiple ? 0 : 1;
        if (multiple) {
            for (Pending<Outgoing> q : tracker.inFlight()) {
                if (q.message().key > key) {
                    break;
                }
                n++;
            }
            tracker.failUpTo(key, e);
        } else {
            tracker.fail(key, e);
        }
        int before = nacksInARow;
        nacksInARow += n;
        if (before < NACKS_TO_REPLACE && nacksInARow >= NACKS_TO_REPLACE) {
            poisoned.run();
        }
    }

    private void returned(Return r) {
        String id = Wire.idOf(r.getProperties());
        for (Pending<Outgoing> p : tracker.inFlight()) {
            Outgoing m = p.message();
            if (m.mandatory && p.note() == null && Objects.equals(m.messageId, id)
                    && m.exchange.equals(r.getExchange()) && m.routingKey.equals(r.getRoutingKey())) {
                p.note(r.getReplyText());
                return;
            }
        }
    }

    private static UnroutableException unroutable(Pending<Outgoing> p) {
        return new UnroutableException("unroutable: nobody consumes " + p.what() + " (RabbitMQ returned it: "
                + p.note() + "; no queue bound yet, or it was deleted)");
    }
}
