package dev.courier.amqp;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.ConfigurationException;
import dev.courier.spi.support.Reconnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * What is AMQP about one of the transport's two connections (publishing, consuming): open it over the
 * address list, notice a resource alarm (blocked), report its loss. Keeping it up — start-up retries
 * until the start timeout, reconnects with the jittered backoff — is the {@link Reconnector}'s job.
 * amqp-client's own automatic recovery stays off: it does not retry a failed first connect, does not
 * reopen channels closed by a channel error, and drops acks with delivery tags from before a
 * recovery silently. Internal.
 */
final class RabbitLink implements Reconnector.Link<Connection> {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final String name;
    private final AmqpConfig cfg;
    private final ConnectionFactory factory;
    private final Consumer<Connection> onUp;
    private final Consumer<ShutdownSignalException> onLost;
    private final Reconnector<Connection> reconnector;
    private final AtomicInteger opened = new AtomicInteger();
    private volatile Runnable onUnblocked = () -> { };
    private volatile boolean blocked;
    private volatile String blockedReason;
    private volatile boolean aborting;

    /**
     * @param onUp   prepares a new connection before it is current (channels, topology, resends)
     * @param onLost the current connection dropped (before the reconnect starts)
     */
    RabbitLink(String name, AmqpConfig cfg, ConnectionFactory factory, ScheduledExecutorService scheduler,
               Consumer<Connection> onUp, Consumer<ShutdownSignalException> onLost) {
        this.name = name;
        this.cfg = cfg;
        this.factory = factory;
        this.onUp = onUp;
        this.onLost = onLost;
        this.reconnector = new Reconnector<>("RabbitMQ at " + cfg.redactedUri() + " (" + name + ")", this,
                AmqpConnections.backoff(cfg), scheduler);
    }

    Reconnector<Connection> reconnector() {
        return reconnector;
    }

    @Override
    public Connection open() throws Exception {
        List<Address> addrs = new ArrayList<>();
        for (String a : cfg.addresses()) {
            addrs.add(Address.parseAddress(a));
        }
        Connection c;
        try {
            c = factory.newConnection(addrs, name);
        } catch (PossibleAuthenticationFailureException e) {
            throw new ConfigurationException("RabbitMQ at " + cfg.redactedUri() + " refused the credentials of user '"
                    + cfg.username() + "' (or the user may not access virtual host '" + cfg.virtualHost() + "')");
        }
        c.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blockedReason = reason;
                blocked = true;
                log.warn("RabbitMQ blocks publishing on {} ({}): publishes wait up to their timeout", name, reason);
            }

            @Override
            public void handleUnblocked() {
                unblock();
                log.info("RabbitMQ unblocked publishing on {}", name);
            }
        });
        return c;
    }

    @Override
    public void up(Connection c, boolean first) {
        onUp.accept(c);
        c.addShutdownListener(cause -> {
            unblock();
            if (!reconnector.isClosed()) {
                try {
                    onLost.accept(cause);
                } catch (RuntimeException e) {
                    log.warn("ignored failure while handling the loss of {}: {}", name, e.toString());
                }
            }
            reconnector.lost(c, cause);
        });
        opened.incrementAndGet();
    }

    @Override
    public boolean isOpen(Connection c) {
        return c.isOpen();
    }

    @Override
    public void close(Connection c) {
        if (aborting) {
            abort(c);
            return;
        }
        try {
            c.close(5_000);
        } catch (Exception e) {
            log.debug("closing {} failed: {}", name, e.toString());
        }
    }

    private void unblock() {
        boolean was = blocked;
        blocked = false;
        if (was) {
            onUnblocked.run();
        }
    }

    /** @param r runs (on amqp-client's thread: hand work off) when RabbitMQ lifts a block */
    void onUnblocked(Runnable r) {
        this.onUnblocked = r;
    }

    /** @return the open connection, or null */
    Connection current() {
        Connection c = reconnector.current();
        return c != null && c.isOpen() ? c : null;
    }

    /** @return how many connections this link has opened so far (1 after start); for tests */
    int connects() {
        return opened.get();
    }

    boolean isBlocked() {
        return blocked;
    }

    String blockedReason() {
        return blockedReason;
    }

    /** Drops the current connection as a network failure would; the link reconnects. For tests. */
    void dropForTest() {
        Connection c = reconnector.current();
        if (c != null) {
            abort(c);
        }
    }

    /** Drops the connection at once, without reconnecting (a crashed process). */
    void abort() {
        aborting = true;
        reconnector.close();
    }

    static void abort(Connection c) {
        try {
            c.abort(1_000);
        } catch (RuntimeException ignored) {
            // best effort
        }
    }
}
