package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.TransportSubscription;
import dev.courier.websocket.hub.Authorizer.Operation;
import dev.courier.websocket.protocol.Frames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The subscriptions of one connection: subscribe and unsubscribe frames, checked against the principal's
 * grants and the hub's limits, each either a backbone subscription (as a member of a service, or for a
 * reply address the principal owns) or a personal one routed by {@link PersonalRouter}; all closed when the
 * connection closes.
 */
final class SessionSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    private final HubSession session;
    private final HubServer hub;
    private final WebSocketPrincipal principal;
    private final SessionDeliveries deliveries;
    private final Map<String, Sub> subs = new ConcurrentHashMap<>();

    private static final class Sub {
        final Address address;
        final TransportSubscription backbone;
        final Inbound inbound;
        final boolean personal;

        Sub(Address address, TransportSubscription backbone, Inbound inbound, boolean personal) {
            this.address = address;
            this.backbone = backbone;
            this.inbound = inbound;
            this.personal = personal;
        }
    }

    /**
     * The callback of one backbone subscription. A delivery that arrives once the connection is gone is
     * held here, not rejected at once: a reject with requeue would hand it straight back to this same
     * subscription while it is still open, which delivers it again on the same thread, forever (issue
     * 10.9: a connection that closed while its subscribe took the group's backlog kept a worker thread
     * spinning, and the hub stopped reading). Held deliveries are bounded by the prefetch and given back
     * once the subscription is closed, when a requeue goes to the group's other members.
     */
    final class Inbound implements DeliveryCallback {
        final String subId;
        private List<Delivery> held = new ArrayList<>(); // guarded by this
        private boolean stopped; // guarded by this

        Inbound(String subId) {
            this.subId = subId;
        }

        @Override
        public void onDelivery(Delivery delivery) {
            deliveries.deliver(this, delivery);
        }

        /** Gives a delivery this connection cannot take back to the group: now if closed, else once closed. */
        void giveBack(Delivery d) {
            synchronized (this) {
                if (!stopped) {
                    held.add(d);
                    return;
                }
            }
            d.reject(true);
        }

        /** Called once the backbone subscription is closed: gives back what was held. */
        void stop() {
            List<Delivery> h;
            synchronized (this) {
                stopped = true;
                h = held;
                held = new ArrayList<>();
            }
            for (Delivery d : h) {
                d.reject(true);
            }
        }
    }

    SessionSubscriptions(HubSession session, SessionDeliveries deliveries) {
        this.session = session;
        this.hub = session.hub;
        this.principal = session.principal;
        this.deliveries = deliveries;
    }

    /** A subscribe frame, answered with a confirm once the subscription is open, or with an error frame. */
    void subscribe(JsonNode d, String seq) {
        String subId = Frames.text(d, "sub");
        String to = Frames.text(d, "address");
        Address address = to == null ? null : HubSession.parseAddress(to);
        if (subId == null || subId.isEmpty() || address == null || address.group() != null) {
            session.error(seq, "malformed", "subscribe needs data {sub, address: event:<name>|command:<name>|reply:<address>,"
                    + " group?, prefetch?, personal?}");
            return;
        }
        if (subs.containsKey(subId)) {
            session.error(seq, "duplicate", "subscription '" + subId + "' already exists on this connection");
            return;
        }
        if (subs.size() >= hub.s.maxSubscriptionsPerConnection()) {
            session.error(seq, "too_many_subscriptions", "at most " + hub.s.maxSubscriptionsPerConnection()
                    + " subscriptions per connection");
            return;
        }
        String group = Frames.text(d, "group");
        boolean personal = d.path("personal").asBoolean(false) || (group == null && address.kind() == Address.Kind.EVENT);
        int prefetch = Math.max(1, Math.min(hub.s.maxPrefetch(), d.path("prefetch").asInt(32)));
        Authorizer z = hub.s.authorizer();
        if (personal) {
            if (address.kind() != Address.Kind.EVENT) {
                session.error(seq, "malformed", "only events can be subscribed to personally; commands need a service group");
                return;
            }
            if (!z.allows(principal, Operation.SUBSCRIBE, address.name())) {
                session.error(seq, "forbidden", principal.name() + " may not subscribe to " + address.name());
                return;
            }
            try {
                hub.personal.register(address.name(), session, subId);
            } catch (RuntimeException e) {
                session.error(seq, "refused", "cannot subscribe to " + address + ": " + e.getMessage());
                return;
            }
            subs.put(subId, new Sub(address, null, null, true));
            if (session.isClosed() && subs.remove(subId) != null) {
                hub.personal.unregister(address.name(), session, subId); // cleanUp ran meanwhile
                return;
            }
            session.confirm(seq, null);
            return;
        }
        switch (address.kind()) {
            case EVENT:
            case COMMAND:
                if (group == null || !z.allows(principal, Operation.SERVICE, group)) {
                    session.error(seq, "forbidden", principal.name() + " may not consume " + address + " as service '" + group + "'");
                    return;
                }
                break;
            case REPLY:
                if (group == null) {
                    group = session.id;
                }
                if (!z.allows(principal, Operation.RECEIVE_REPLIES, address.name())) {
                    session.error(seq, "forbidden", principal.name() + " may not receive the replies sent to " + address.name()
                            + " (its own reply addresses start with " + Authorizer.personalReplyPrefix(principal) + ")");
                    return;
                }
                if (!hub.replyAddresses.claim(address.name(), principal.name())) {
                    session.error(seq, "forbidden", "reply address " + address.name() + " belongs to another principal");
                    return;
                }
                break;
            default:
                session.error(seq, "malformed", "dead letters are read with " + Frames.DL_BROWSE + ", not subscribed to");
                return;
        }
        TransportSubscription backbone;
        Inbound inbound = new Inbound(subId);
        try {
            backbone = hub.backbone.subscribe(address, group, prefetch, inbound);
        } catch (RuntimeException e) {
            if (address.kind() == Address.Kind.REPLY) {
                hub.replyAddresses.release(address.name());
            }
            session.error(seq, "refused", "cannot subscribe to " + address + ": " + e.getMessage());
            return;
        }
        subs.put(subId, new Sub(address, backbone, inbound, false));
        if (session.isClosed()) {
            Sub s = subs.remove(subId);
            if (s != null) {
                close(subId, s);
            }
            return;
        }
        session.confirm(seq, null);
    }

    /** An unsubscribe frame; confirmed whether or not the subscription existed. */
    void unsubscribe(JsonNode d, String seq) {
        Sub s = subs.remove(String.valueOf(Frames.text(d, "sub")));
        if (s != null) {
            close(Frames.text(d, "sub"), s);
        }
        session.confirm(seq, null);
    }

    /** On close: every subscription closed (backbone ones give back what they held). */
    void closeAll() {
        for (Iterator<Map.Entry<String, Sub>> it = subs.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Sub> e = it.next();
            it.remove();
            close(e.getKey(), e.getValue());
        }
    }

    Set<String> ids() {
        return subs.keySet();
    }

    private void close(String subId, Sub s) {
        if (s.personal) {
            hub.personal.unregister(s.address.name(), session, subId);
            return;
        }
        try {
            s.backbone.close();
        } catch (RuntimeException e) {
            log.debug("hub {}: closing a backbone subscription failed: {}", hub.s.hubId(), e.toString());
        }
        s.inbound.stop();
        if (s.address.kind() == Address.Kind.REPLY) {
            hub.replyAddresses.release(s.address.name());
        }
    }
}
