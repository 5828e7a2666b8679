package dev.courier.amqp;

import com.rabbitmq.client.ConnectionFactory;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a started {@link AmqpTransport} runs: the publishing and the consuming connection (each a
 * {@link RabbitLink} kept up by a {@code Reconnector}), the {@link Publisher}, one scheduler thread
 * (reconnects, the confirm sweep, re-attaching consumers), one confirm thread (where publish
 * futures complete) and one writer thread (every publish's socket write, so that a broker that stops
 * reading never blocks a caller of publish). Made by {@link #open}, which connects both within the start timeout. Internal.
 */
final class Session {
    final ScheduledExecutorService scheduler;
    final ExecutorService completions;
    final ExecutorService writer;
    /** Sends the consumers' held-back acks when no later ack comes ({@link Acks}); may block on a socket. */
    final ScheduledExecutorService acker;
    final Publisher publisher;
    final RabbitLink pubLink;
    final RabbitLink subLink;

    private Session(AmqpTransport t, TransportContext ctx, String name) {
        AmqpConfig cfg = t.config();
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon(name + "-amqp"));
        s.setRemoveOnCancelPolicy(true);
        scheduler = s;
        completions = Executors.newSingleThreadExecutor(daemon(name + "-confirms"));
        writer = Executors.newSingleThreadExecutor(daemon(name + "-publish"));
        ScheduledThreadPoolExecutor a = new ScheduledThreadPoolExecutor(1, daemon(name + "-acks"));
        a.setRemoveOnCancelPolicy(true);
        acker = a;
        publisher = new Publisher(cfg, t.topology(), completions, scheduler, writer, stallAfter(ctx.publishTimeout()),
                t.subscriptions()::redeclare);
        ConnectionFactory factory;
        try {
            factory = AmqpConnections.factory(cfg, name);
        } catch (RuntimeException e) {
            scheduler.shutdownNow();
            completions.shutdown();
            writer.shutdownNow();
            acker.shutdownNow();
            throw e;
        }
        pubLink = new RabbitLink(name + "-pub", cfg, factory, scheduler, c -> {
            t.topology().forgetDeclared();
            publisher.connected(c);
        }, sig -> { });
        publisher.link(pubLink);
        subLink = new RabbitLink(name + "-sub", cfg, factory, scheduler, t.subscriptions()::connected,
                sig -> t.replies().connectionLost(ctx));
    }

    /**
     * Connects both connections, retrying a broker that is down until {@code startTimeout}.
     *
     * @throws dev.courier.TransportConnectException when no attempt succeeded in time
     * @throws dev.courier.ConfigurationException    refused credentials, TLS or customizer problems
     */
    static Session open(AmqpTransport t, TransportContext ctx, String name, Duration startTimeout) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Session s = new Session(t, ctx, name);
        try {
            s.pubLink.reconnector().start(startTimeout);
            s.subLink.reconnector().start(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (RuntimeException e) {
            s.close(Duration.ZERO);
            throw e;
        }
        return s;
    }

    /** Waits for outstanding confirms up to {@code patience}, fails the rest, closes both connections. */
    void close(Duration patience) {
        publisher.close(patience);
        subLink.reconnector().close();
        pubLink.reconnector().close();
        scheduler.shutdownNow();
        completions.shutdown();
        writer.shutdownNow();
        acker.shutdownNow();
    }

    /**
     * How long the publishing channel may leave publishes unconfirmed without confirming anything
     * before it is replaced: half the publish timeout (so that what it held can still be sent again
     * within it), at least {@link #MIN_STALL}.
     */
    static Duration stallAfter(Duration publishTimeout) {
        Duration half = publishTimeout.dividedBy(2);
        return half.compareTo(MIN_STALL) < 0 ? MIN_STALL : half;
    }

    /** The shortest quiet time that counts as a stalled publishing channel. */
    static final Duration MIN_STALL = Duration.ofSeconds(1);

    /** @return how many consuming connections were opened so far (1 after start, +1 per reconnect); for tests */
    int consumerConnects() {
        return subLink.connects();
    }

    /** Drops the consuming connection as a network failure would; the transport reconnects. For tests. */
    void dropConsumerConnection() {
        subLink.dropForTest();
    }

    /** Drops both connections without acking or closing anything, as a crashed process would; for tests. */
    void kill() {
        subLink.abort();
        pubLink.abort();
        scheduler.shutdownNow();
        writer.shutdownNow();
        acker.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
