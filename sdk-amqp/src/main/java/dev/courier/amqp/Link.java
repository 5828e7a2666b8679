package dev.courier.amqp;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One connection to RabbitMQ that Courier keeps up itself: the first connect is retried with backoff
 * until the start timeout, and after any loss (broker restart, forced close, network) it reconnects
 * with a growing, jittered backoff ({@link dev.courier.spi.Backoff}) for as long as the transport is open, then calls
 * {@code onConnected} so the owner
 * opens fresh channels and declares its topology again. amqp-client's own automatic recovery is off:
 * it does not retry a failed first connect, does not reopen channels closed by a channel error, and
 * drops acks with delivery tags from before a recovery silently. Internal.
 */
final class Link {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final String role;
    private final AmqpConfig cfg;
    private final ConnectionFactory factory;
    private final String connectionName;
    private final ScheduledExecutorService scheduler;
    private final Consumer<Connection> onConnected;
    private final Consumer<ShutdownSignalException> onLost;
    private final Object monitor = new Object();
    private volatile Connection connection;
    private volatile boolean blocked;
    private volatile String blockedReason;
    private volatile boolean closing;
    private final java.util.concurrent.atomic.AtomicInteger opened = new java.util.concurrent.atomic.AtomicInteger();
    private final dev.courier.spi.Backoff backoff;

    Link(String role, AmqpConfig cfg, ConnectionFactory factory, String connectionName,
         ScheduledExecutorService scheduler, Consumer<Connection> onConnected, Consumer<ShutdownSignalException> onLost) {
        this.role = role;
        this.cfg = cfg;
        this.factory = factory;
        this.connectionName = connectionName;
        this.scheduler = scheduler;
        this.onConnected = onConnected;
        this.onLost = onLost;
        this.backoff = AmqpTransport.backoff(cfg);
    }

    /** Connects, retrying with backoff until the start timeout; authentication failures fail at once. */
    void connectFirst() {
        long deadline = System.nanoTime() + cfg.startTimeout().toNanos();
        while (true) {
            try {
                open();
                return;
            } catch (PossibleAuthenticationFailureException e) {
                throw new ConfigurationException("RabbitMQ at " + cfg.redactedUri() + " refused the credentials of user '"
                        + cfg.username() + "' (or the user may not access virtual host '" + cfg.virtualHost() + "')");
            } catch (ConfigurationException e) {
                throw e;
            } catch (Exception e) {
                long wait = backoff.nextDelay().toMillis();
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait) > deadline) {
                    throw new CourierException("could not connect to RabbitMQ at " + cfg.redactedUri() + " within the"
                            + " startTimeout of " + cfg.startTimeout() + ": " + describe(e), e);
                }
                log.debug("connecting to {} failed ({}); retrying in {} ms", cfg.redactedUri(), describe(e), wait);
                sleep(wait);
            }
        }
    }

    private void open() throws IOException, TimeoutException {
        List<Address> addrs = new ArrayList<>();
        for (String a : cfg.addresses()) {
            addrs.add(Address.parseAddress(a));
        }
        Connection c = factory.newConnection(addrs, connectionName + "-" + role);
        try {
            c.addBlockedListener(new BlockedListener() {
                @Override
                public void handleBlocked(String reason) {
                    blockedReason = reason;
                    blocked = true;
                    log.warn("RabbitMQ blocks publishing on {} ({}): publishes wait up to their timeout", connectionName, reason);
                }

                @Override
                public void handleUnblocked() {
                    blocked = false;
                    log.info("RabbitMQ unblocked publishing on {}", connectionName);
                }
            });
            onConnected.accept(c);
        } catch (RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
        c.addShutdownListener(cause -> lost(c, cause));
        synchronized (monitor) {
            if (closing) {
                closeQuietly(c); // closed while this connect was under way
                return;
            }
            connection = c;
            opened.incrementAndGet();
            backoff.connected();
            monitor.notifyAll();
        }
        if (!c.isOpen()) {
            lost(c, c.getCloseReason());
        }
    }

    private void lost(Connection c, ShutdownSignalException cause) {
        synchronized (monitor) {
            if (connection != c) {
                return;
            }
            connection = null;
            blocked = false;
        }
        if (closing) {
            return;
        }
        log.warn("connection {} to {} lost ({}); reconnecting with backoff", connectionName + "-" + role,
                cfg.redactedUri(), cause == null ? "closed" : cause.getMessage());
        try {
            onLost.accept(cause);
        } catch (RuntimeException e) {
            log.warn("ignored failure while handling the loss of {}: {}", connectionName, e.toString());
        }
        schedule(1);
    }

    private void schedule(int attempt) {
        if (closing) {
            return;
        }
        try {
            scheduler.schedule(() -> reconnect(attempt), backoff.nextDelay().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // transport closing
        }
    }

    private void reconnect(int attempt) {
        if (closing || connection != null) {
            return;
        }
        try {
            open();
            log.info("connection {} to {} recovered after {} attempt(s)", connectionName + "-" + role,
                    cfg.redactedUri(), attempt);
        } catch (Exception e) {
            log.debug("reconnect {} of {} failed: {}", attempt, connectionName, describe(e));
            schedule(attempt + 1);
        }
    }

    /** The open connection, or null. */
    Connection current() {
        Connection c = connection;
        return c != null && c.isOpen() ? c : null;
    }

    /** Waits until connected and not blocked, up to the deadline; null when the deadline passed. */
    Connection await(long deadlineNanos) {
        synchronized (monitor) {
            while (true) {
                Connection c = connection;
                if (c != null && c.isOpen() && !blocked) {
                    return c;
                }
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || closing) {
                    return null;
                }
                try {
                    monitor.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 50)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    /** How many connections this link has opened so far (1 after the first connect); for tests. */
    int connects() {
        return opened.get();
    }

    boolean isBlocked() {
        return blocked;
    }

    String blockedReason() {
        return blockedReason;
    }

    boolean isConnected() {
        return current() != null;
    }

    void close() {
        closing = true;
        Connection c = connection;
        connection = null;
        synchronized (monitor) {
            monitor.notifyAll();
        }
        if (c != null) {
            try {
                c.close(5_000);
            } catch (Exception e) {
                log.debug("closing {} failed: {}", connectionName, e.toString());
            }
        }
    }

    /** Drops the current connection as a network failure would; the link reconnects. For tests. */
    void dropForTest() {
        Connection c = connection;
        if (c != null) {
            closeQuietly(c);
        }
    }

    /** Drops the connection at once, without reconnecting. */
    void abort() {
        closing = true;
        Connection c = connection;
        connection = null;
        if (c != null) {
            closeQuietly(c);
        }
    }

    static void closeQuietly(Connection c) {
        try {
            c.abort(1_000);
        } catch (RuntimeException ignored) {
            // best effort
        }
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getMessage() == null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis); // backoff between connect attempts inside start(); not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while connecting to RabbitMQ");
        }
    }
}
