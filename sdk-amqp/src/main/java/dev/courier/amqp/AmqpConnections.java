package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.ConfigurationException;
import dev.courier.spi.Backoff;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * How Courier opens connections to RabbitMQ: the amqp-client {@link ConnectionFactory} (credentials,
 * TLS with host name verification, heartbeat, the {@link FrameGuard}, the user's customizer), the
 * reconnect {@link Backoff}, and short-lived channels for declarations and reads. Internal.
 */
final class AmqpConnections {
    /** RabbitMQ's ceiling for max_message_size: no broker delivers a larger message. */
    static final int BROKER_MAX_MESSAGE_SIZE = 512 * 1024 * 1024;
    /** Longest wait for RabbitMQ's reply to any channel round trip (declare, consume, cancel, close). */
    static final Duration CHANNEL_RPC_TIMEOUT = Duration.ofSeconds(30);
    /** Longest wait for RabbitMQ's side of the AMQP handshake (connection.start to connection.open-ok). */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

    private AmqpConnections() {
    }

    /**
     * The factory of both connections, its client threads named {@code courier-amqp-client-N}.
     *
     * @throws ConfigurationException when TLS has no context or the customizer fails
     */
    static ConnectionFactory factory(AmqpConfig cfg) {
        return factory(cfg, "courier");
    }

    /**
     * The factory of both connections of one transport. amqp-client's own threads (each connection's
     * consumer dispatch pool, the heartbeat) are named {@code <name>-amqp-client-N}, so that a thread dump
     * of a process with many buses says whose they are (they were {@code pool-N-thread-M}); they stay
     * non-daemon, as amqp-client makes them. A customizer may set its own thread factory.
     *
     * @param name the transport's connection name, e.g. {@code courier-ordering-1a2b3c4d}
     * @throws ConfigurationException when TLS has no context or the customizer fails
     */
    static ConnectionFactory factory(AmqpConfig cfg, String name) {
        ConnectionFactory f = new FrameGuard.Factory(cfg.maxMessageSize());
        f.setThreadFactory(clientThreads(name + "-amqp-client"));
        f.setUsername(cfg.username());
        f.setPassword(cfg.password());
        f.setVirtualHost(cfg.virtualHost());
        f.setAutomaticRecoveryEnabled(false); // Courier recovers itself: see RabbitLink
        f.setTopologyRecoveryEnabled(false);
        f.setRequestedHeartbeat((int) Math.max(1, cfg.heartbeat().toSeconds()));
        f.setConnectionTimeout(10_000);
        // a node that is paused (or cut off) still accepts TCP but never answers the AMQP handshake: give
        // up on it after a few seconds and try the next address, rather than after amqp-client's 10 s
        f.setHandshakeTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
        f.setChannelRpcTimeout((int) CHANNEL_RPC_TIMEOUT.toMillis()); // amqp-client's default is 10 minutes
        // amqp-client closes the whole connection on a body over this cap; the FrameGuard enforces
        // maxMessageSize per message instead, so the cap is RabbitMQ's own ceiling (max_message_size <= 512 MiB)
        f.setMaxInboundMessageBodySize(BROKER_MAX_MESSAGE_SIZE);
        f.getClientProperties().put("product", "Courier (amqp-client)");
        if (cfg.tls()) {
            f.useSslProtocol(sslContext(cfg));
            f.enableHostnameVerification();
        }
        Consumer<? super ConnectionFactory> customizer = cfg.customizer();
        if (customizer != null) {
            try {
                customizer.accept(f);
            } catch (RuntimeException e) {
                throw new ConfigurationException("connectionFactory: the customizer failed: " + describe(e));
            }
            // what Courier's own recovery and size checks rely on stays as Courier set it
            f.setAutomaticRecoveryEnabled(false);
            f.setTopologyRecoveryEnabled(false);
            f.setMaxInboundMessageBodySize(BROKER_MAX_MESSAGE_SIZE);
        }
        return f;
    }

    private static ThreadFactory clientThreads(String prefix) {
        ThreadFactory base = Executors.defaultThreadFactory();
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = base.newThread(r);
            t.setName(prefix + "-" + n.incrementAndGet());
            return t;
        };
    }

    /** The configured context, or the JVM's default one. */
    static SSLContext sslContext(AmqpConfig cfg) {
        if (cfg.sslContext() != null) {
            return cfg.sslContext();
        }
        try {
            return SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new ConfigurationException("sslContext: no default SSLContext in this JVM: " + e.getMessage());
        }
    }

    /**
     * The pauses of one reconnect loop: from 100 ms, doubling to {@code maxReconnectDelay}, each
     * lowered by a random part of up to half; the count starts over only after a connection stayed up
     * for 30 s (or twice {@code maxReconnectDelay}, if longer).
     */
    static Backoff backoff(AmqpConfig cfg) {
        Duration max = cfg.maxReconnectDelay().compareTo(Backoff.DEFAULT_INITIAL_DELAY) < 0
                ? Backoff.DEFAULT_INITIAL_DELAY : cfg.maxReconnectDelay();
        Duration stable = max.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? max.multipliedBy(2)
                : Duration.ofSeconds(30);
        return Backoff.custom().maxDelay(max).stableAfter(stable).build();
    }

    /** Runs {@code work} on a throw-away channel of {@code c} (a refused declaration closes it). */
    static void withChannel(Connection c, Consumer<Channel> work) {
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

    /** The first message in a cause chain, with its type. */
    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
