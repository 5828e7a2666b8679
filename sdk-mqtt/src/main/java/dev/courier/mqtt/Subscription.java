package dev.courier.mqtt;

import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One subscribe() call, with an MQTT session of its own (the member session): client id
 * {@code <prefix>:<service>:<instance>:<group>:<name>:<generation>}, subscribed to the group's shared
 * filter and to the group's direct topic (messages given back). Its own connection means that its
 * in-order PUBACKs hold back nobody else's messages, and that closing it can hand exactly its share
 * back to the group.
 *
 * <p>Hands at most {@code prefetch} unsettled deliveries to the callback, on the subscription's own
 * thread, and keeps the rest unacknowledged in arrival order. {@link #close()} stops deliveries at
 * once and forgets the subscription on the transport; deliveries outstanding then can still be
 * settled. Once none is outstanding (or after {@link #HANDOVER_BOUND}, or when the transport closes)
 * the session is handed over: disconnected without ending it, so it keeps the group's share and
 * everything unacknowledged, and a retained record tells the group's live members to take it over
 * (see {@link Members}). Internal.
 */
final class Subscription implements TransportSubscription {
    private static final Logger log = LoggerFactory.getLogger(MqttTransport.class);
    /** How long a closed subscription's outstanding deliveries keep its session before it is handed over. */
    static final Duration HANDOVER_BOUND = Duration.ofSeconds(30);

    final Address address;
    final String group;
    /** The shared group on the broker: the group for events, {@link Topics#COMMAND_GROUP} for commands. */
    final String share;
    final String filter;
    final String directFilter;
    final String clientId;
    private final MqttTransport transport;
    private final int prefetch;
    private final DeliveryCallback callback;
    private final ExecutorService thread;
    private final ArrayDeque<MqttDelivery> waiting = new ArrayDeque<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean handedOver = new AtomicBoolean();
    private volatile Connection connection;
    /** False for a reply subscription: it lives on the transport's main connection, no session of its own. */
    private final boolean member;
    private int outstanding;
    /**
     * Ids of messages handed out and not settled, with the connection epoch they came on: the same id
     * on a later connection is the broker's redelivery (the HiveMQ client does not expose the DUP flag).
     */
    private final java.util.Map<String, Long> unsettledIds = new java.util.LinkedHashMap<>() {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
            return size() > 10_000;
        }
    };

    Subscription(MqttTransport transport, Address address, String group, String share, String filter,
                 String directFilter, String clientId, int prefetch, DeliveryCallback callback) {
        this.transport = transport;
        this.address = address;
        this.group = group;
        this.share = share;
        this.filter = filter;
        this.directFilter = directFilter;
        this.clientId = clientId;
        this.prefetch = Math.max(1, prefetch);
        this.callback = callback;
        this.member = address.kind() != Address.Kind.REPLY;
        this.thread = Executors.newSingleThreadExecutor(Threads.daemon("courier-mqtt-sub-" + address.name()));
    }

    /** The key the transport routes by: one live subscription per (shared group, name). */
    static String key(String share, String name) {
        return share + " " + name;
    }

    String key() {
        return key(share, address.name());
    }

    /** Connects the member session (or, for replies, subscribes the main connection); fails clearly. */
    void start(Connection c, Duration startTimeout) {
        this.connection = c;
        if (!member) {
            c.subscribe(filter, transport.config().connectTimeout());
            return;
        }
        try {
            c.start(startTimeout);
            c.subscribe(filter, transport.config().connectTimeout());
            if (directFilter != null) {
                c.subscribe(directFilter, transport.config().connectTimeout());
            }
        } catch (RuntimeException e) {
            c.close(false);
            thread.shutdown();
            throw e;
        }
    }

    Connection connection() {
        return connection;
    }

    /** Runs the subscription's callbacks in order; quietly refuses once the subscription is gone. */
    ExecutorService thread() {
        return thread;
    }

    /** Notes a message id arriving on connection {@code epoch}; true when it came before on an earlier one. */
    synchronized boolean seenBefore(String id, long epoch) {
        if (id == null) {
            return false;
        }
        Long before = unsettledIds.put(id, epoch);
        return before != null && before < epoch;
    }

    /** The message with this id was settled: a later copy is a new delivery as far as the connection knows. */
    synchronized void settledId(String id) {
        if (id != null) {
            unsettledIds.remove(id);
        }
    }

    /** Delivers now or queues behind the prefetch limit; a closed subscription only keeps. */
    void offer(MqttDelivery d) {
        synchronized (this) {
            if (closed.get() || outstanding >= prefetch) {
                waiting.addLast(d);
                return;
            }
            outstanding++;
        }
        dispatch(d);
    }

    /** A delivery was settled: make room for the next one, or hand the session over when closed and done. */
    void settled() {
        MqttDelivery next;
        synchronized (this) {
            outstanding--;
            if (closed.get()) {
                if (outstanding == 0) {
                    handOverLater();
                }
                return;
            }
            next = waiting.pollFirst();
            if (next == null) {
                return;
            }
            outstanding++;
        }
        dispatch(next);
    }

    private void dispatch(MqttDelivery d) {
        try {
            thread.execute(() -> {
                try {
                    callback.onDelivery(d);
                } catch (RuntimeException e) {
                    log.error("delivery callback failed on {}; the message goes back to the group", address, e);
                    d.reject(true);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: delivery not handed over, the subscription is gone; the broker delivers it again", address);
        }
    }

    @Override
    public boolean isActive() {
        Connection c = connection;
        return !closed.get() && c != null && c.isConnected();
    }

    /**
     * Stops deliveries and forgets the subscription on the transport (the same address and group can
     * be subscribed again at once). Hands the session over now when nothing is outstanding, otherwise
     * once the last outstanding delivery is settled, at the latest after {@link #HANDOVER_BOUND}.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        transport.subscriptions().forget(this);
        boolean now;
        synchronized (this) {
            now = outstanding == 0;
        }
        if (now) {
            try {
                handOver().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("hand-over record of '{}' not confirmed within 5 s: {}", clientId, e.toString());
            }
        } else {
            transport.schedule(this::handOverLater, HANDOVER_BOUND);
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    private void handOverLater() {
        transport.runTask(() -> {
            try {
                handOver().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.debug("hand-over record of '{}' not confirmed within 5 s: {}", clientId, e.toString());
            }
        });
    }

    /**
     * Disconnects the member session without ending it and leaves the record that lets a live member
     * take it over. Once only; bounded. What was delivered but not settled becomes stale.
     */
    java.util.concurrent.CompletableFuture<?> handOver() {
        closed.set(true);
        if (!handedOver.compareAndSet(false, true)) {
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        Connection c = connection;
        java.util.List<MqttDelivery> kept;
        synchronized (this) {
            kept = new java.util.ArrayList<>(waiting);
            waiting.clear();
        }
        thread.shutdown();
        if (!member) {
            if (c != null) {
                c.unsubscribe(filter);
            }
            for (MqttDelivery d : kept) {
                d.drop(); // a reply for a subscription that is gone: nobody waits for it any more
            }
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        }
        for (MqttDelivery d : kept) {
            if (d.origin() != c) {
                d.returnToGroup(); // from the shared retry session: it must not wait there (PUBACKs go in order)
            }
        }
        if (c != null) {
            c.close(false);
        }
        // the rest stays unacknowledged in the session, for the member that takes it over
        log.debug("member session '{}' of {} handed over to the group '{}'", clientId, address, share);
        return transport.leaveRecord(this);
    }
}
