package dev.courier.mqtt;

import dev.courier.CourierException;
import dev.courier.spi.Backoff;
import dev.courier.spi.support.Reconnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One persistent MQTT session kept up by the shared {@link Reconnector}: what is MQTT here is only how
 * to open a connection (a fresh HiveMQ client per connection, the address list tried in order, clean
 * start off) and how to prepare it (subscribe again: Mosquitto 2.0 does not restore shared
 * subscriptions from its persistence file). Start-up retries until the bus's start timeout, then
 * fails with {@link dev.courier.TransportConnectException}. A connection that publishes has an
 * {@link Outbox}, told of every new connection and every loss. Internal.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    /**
     * What the client announces: the protocol maximum. Mosquitto resends a resumed session's messages
     * beyond a smaller announced receive maximum, and the HiveMQ client then drops the connection; the
     * broker's max_inflight_messages is the real cap.
     */
    static final int RECEIVE_MAXIMUM = 65_535;
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final AtomicLong EPOCHS = new AtomicLong();

    /** A received message and the connection epoch it arrived on. */
    record Received(Wire.Incoming message, long epoch) {
    }

    /** A live connection: its client, its epoch (stale deliveries are told by it) and its CONNACK. */
    record Live(Wire wire, long epoch, Wire.Session session) {
    }

    private final MqttConfig cfg;
    private final String clientId;
    private final Duration expiry;
    private final Outbox outbox;
    private final Set<String> filters = ConcurrentHashMap.newKeySet();
    private final Reconnector<Live> reconnector;
    private volatile Wire.Session session;
    private volatile boolean closing;
    /** While {@link #start} runs: its deadline, which also ends a connect attempt; afterwards none. */
    private volatile long startDeadline = Long.MAX_VALUE;
    /**
     * The epoch of the newest connection that is open (current, or being prepared: a resumed session's
     * messages arrive before it is current and may be settled at once); -1 once it is lost.
     */
    private volatile long openEpoch = -1;

    /**
     * @param handler   gets every message with the epoch of its connection
     * @param callbacks where the handler runs (null: the client's network thread, for a handler that only routes)
     * @param outbox    the publishes of this session, or null for a session that only receives
     */
    Connection(MqttConfig cfg, String clientId, Duration expiry, Consumer<Received> handler, Executor callbacks,
               ScheduledExecutorService scheduler, Outbox outbox) {
        this.cfg = cfg;
        this.clientId = clientId;
        this.expiry = expiry;
        this.outbox = outbox;
        Backoff backoff = Backoff.custom().maxDelay(MAX_BACKOFF).build();
        Reconnector<Live>[] self = new Reconnector[1];
        this.reconnector = new Reconnector<>(cfg.brokers() + " as '" + clientId + "'", new Reconnector.Link<>() {
            @Override
            public Live open() throws Exception {
                long epoch = EPOCHS.incrementAndGet();
                Live[] live = new Live[1];
                openEpoch = epoch; // a resumed session's messages come before dial returns
                Wire.Dialed d;
                try {
                    d = Wire.dial(cfg, clientId, m -> handler.accept(new Received(m, epoch)), callbacks,
                            w -> lost(self[0], live[0]), false, expiry, RECEIVE_MAXIMUM, startDeadline);
                } catch (Exception e) {
                    gone(new Live(null, epoch, null));
                    throw e;
                }
                live[0] = new Live(d.wire(), epoch, d.session());
                if (!d.wire().isConnected()) {
                    gone(live[0]);
                    throw new java.io.IOException("the connection dropped right after CONNACK");
                }
                return live[0];
            }

            @Override
            public void up(Live c, boolean first) throws Exception {
                prepare(c, first);
            }

            @Override
            public boolean isOpen(Live c) {
                return c.wire().isConnected();
            }

            @Override
            public void close(Live c) {
                gone(c);
                c.wire().disconnect(false);
            }
        }, backoff, scheduler);
        self[0] = reconnector;
    }

    private void lost(Reconnector<Live> r, Live live) {
        if (r == null || live == null || closing) {
            return;
        }
        gone(live);
        if (outbox != null) {
            outbox.down(live.wire());
        }
        r.lost(live, null);
    }

    private void gone(Live c) {
        if (openEpoch == c.epoch()) {
            openEpoch = -1;
        }
    }

    /** Subscribes again, then lets the outbox send what waited; runs before the connection is current. */
    private void prepare(Live c, boolean first) throws Exception {
        List<CompletableFuture<Void>> subs = new ArrayList<>();
        for (String f : filters) {
            subs.add(c.wire().subscribe(f, cfg.qos()));
        }
        CompletableFuture.allOf(subs.toArray(new CompletableFuture[0]))
                .get(cfg.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
        session = c.session();
        if (outbox != null) {
            outbox.up(c.wire(), c.session(), first);
        }
        if (!first) {
            log.info("MQTT client '{}' reconnected (session {})", clientId,
                    c.session().present() ? "resumed, subscriptions renewed" : "new, subscriptions restored");
        }
    }

    String clientId() {
        return clientId;
    }

    /** The epoch of the open connection (current or being prepared); -1 while down or closed. */
    long epoch() {
        return closing || reconnector.isClosed() ? -1 : openEpoch;
    }

    Wire.Session session() {
        return session;
    }

    /**
     * Connects, retrying with the backoff until {@code startTimeout}; blocks the caller.
     *
     * @throws dev.courier.TransportConnectException when no broker accepted within the start timeout
     * @throws dev.courier.ConfigurationException    when a broker refused the credentials
     */
    Wire.Session start(Duration startTimeout) {
        startDeadline = System.nanoTime() + startTimeout.toNanos();
        try {
            return reconnector.start(startTimeout).session();
        } finally {
            startDeadline = Long.MAX_VALUE;
        }
    }

    boolean isClosed() {
        return reconnector.isClosed();
    }

    boolean isConnected() {
        Live l = reconnector.current();
        return l != null && !reconnector.isClosed() && l.wire().isConnected();
    }

    /**
     * Subscribes now (waiting up to {@code timeout} for a connection and the SUBACK) and after every reconnect.
     *
     * @throws CourierException when the broker refused it or did not answer in time
     */
    void subscribe(String filter, Duration timeout) {
        filters.add(filter);
        long deadline = System.nanoTime() + timeout.toNanos();
        Live l = reconnector.await(deadline);
        try {
            if (l == null) {
                throw new java.util.concurrent.TimeoutException("no connection within " + timeout);
            }
            l.wire().subscribe(filter, cfg.qos()).get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while subscribing '" + clientId + "' to " + filter, e);
        } catch (Exception e) {
            Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new CourierException("could not subscribe '" + clientId + "' to " + filter + ": " + c, c);
        }
    }

    /** Unsubscribes now (if connected) and forgets the filter for later reconnects. */
    CompletableFuture<Void> unsubscribe(String filter) {
        filters.remove(filter);
        Live l = reconnector.current();
        return l == null ? CompletableFuture.completedFuture(null) : l.wire().unsubscribe(filter);
    }

    /** Stops reconnecting and disconnects; {@code endSession} makes the broker drop the session. Bounded. */
    void close(boolean endSession) {
        closing = true;
        Live l = reconnector.current();
        if (endSession && l != null) {
            try {
                l.wire().disconnect(true).get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("MQTT client '{}' did not end its session cleanly: {}", clientId, e.toString());
            }
        }
        reconnector.close(); // disconnects the current connection (without ending the session) if still up
        if (outbox != null) {
            outbox.close();
        }
    }
}
