package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The subscriptions of one transport, kept across reconnects (each subscribes again on a new
 * connection), and the deliveries the hub sends for them. A delivery for a subscription that is gone
 * is given back to the hub at once. Thread-safe.
 */
final class ClientSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(ClientSubscriptions.class);

    private final WebSocketTransport transport;
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Sub> subs = new ConcurrentHashMap<>();

    ClientSubscriptions(WebSocketTransport transport) {
        this.transport = transport;
    }

    /**
     * Subscribes, waiting for a connection and for the hub's confirm, each up to the publish timeout.
     *
     * @return the subscription
     * @throws CourierException when there is no connection or the hub refuses or does not answer
     */
    TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        Sub s = new Sub("s" + seq.incrementAndGet(), address.withoutGroup(), group, Math.max(1, prefetch), callback);
        subs.put(s.id, s);
        try {
            long deadline = System.nanoTime() + transport.publishTimeout().toNanos();
            transport.await(transport.request(transport.link().await(deadline), Frames.SUBSCRIBE, s.subscribeData()),
                    "subscribing to " + address + " as " + group);
        } catch (RuntimeException e) {
            subs.remove(s.id);
            throw e;
        }
        return s;
    }

    /** A new connection: every subscription subscribes again (a refusal is logged). */
    void resubscribe(ClientConnection c) {
        for (Sub s : subs.values()) {
            if (!s.closed) {
                transport.request(c, Frames.SUBSCRIBE, s.subscribeData()).whenComplete((x, e) -> {
                    if (e != null) {
                        log.warn("hub {} refused to resubscribe {}: {}", transport.describe(), s.address, e.getMessage());
                    }
                });
            }
        }
    }

    /** A message frame from the hub: to its subscription's callback, or back to the hub. */
    void onMessage(ClientConnection c, Frames.Frame f) {
        String subId = f.attr(Frames.SUB);
        String tag = f.attr(Frames.TAG);
        Sub s = subId == null ? null : subs.get(subId);
        if (s == null || s.closed) {
            if (tag != null) {
                try {
                    c.sendText(ClientDelivery.settleFrame(Frames.REJECT, tag, true, transport.source()));
                } catch (NumberFormatException e) {
                    log.warn("hub {} sent a delivery with an unreadable tag '{}'", transport.describe(), tag);
                }
            }
            return;
        }
        ClientDelivery d = new ClientDelivery(transport, c, s.address, s.group, tag, java.util.Collections.unmodifiableMap(f.headers()), f.body(),
                "true".equals(f.attr(Frames.REDELIVERED)));
        try {
            s.callback.onDelivery(d);
        } catch (RuntimeException e) {
            log.error("delivery callback failed for {}; message given back to the hub", s.address, e);
            d.reject(true);
        }
    }

    /** The transport closed: every subscription is inactive. */
    void closeAll() {
        for (Sub s : subs.values()) {
            s.closed = true;
        }
        subs.clear();
    }

    /** One subscription; kept across reconnects. */
    private final class Sub implements TransportSubscription {
        final String id;
        final Address address;
        final String group;
        final int prefetch;
        final DeliveryCallback callback;
        volatile boolean closed;

        Sub(String id, Address address, String group, int prefetch, DeliveryCallback callback) {
            this.id = id;
            this.address = address;
            this.group = group;
            this.prefetch = prefetch;
            this.callback = callback;
        }

        ObjectNode subscribeData() {
            ObjectNode d = Frames.data();
            d.put("sub", id);
            d.put("address", address.toString());
            if (group != null) {
                d.put("group", group);
            }
            d.put("prefetch", prefetch);
            return d;
        }

        @Override
        public boolean isActive() {
            return !closed && transport.isConnected();
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            subs.remove(id);
            ClientConnection c = transport.link().live();
            if (c != null) {
                ObjectNode d = Frames.data();
                d.put("sub", id);
                transport.request(c, Frames.UNSUBSCRIBE, d);
            }
        }
    }
}
