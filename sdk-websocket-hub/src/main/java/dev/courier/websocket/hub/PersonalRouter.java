package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportSubscription;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Personal subscriptions (browser tabs): one backbone subscription per event name, in this hub's own
 * group, fanned out to every connection that subscribed as itself and may see the event. Each tab
 * gets its own copy while it is connected; the backbone delivery is acked once it is handed out
 * (at most once per tab: a tab that is away misses events, and catches up by asking the services).
 */
final class PersonalRouter {
    private final Transport backbone;
    private final String group;
    private final Map<String, Route> routes = new ConcurrentHashMap<>();

    private static final class Member {
        final HubSession session;
        final String subId;

        Member(HubSession session, String subId) {
            this.session = session;
            this.subId = subId;
        }
    }

    private final class Route {
        final String name;
        final Set<Member> members = ConcurrentHashMap.newKeySet();
        volatile TransportSubscription subscription;

        Route(String name) {
            this.name = name;
        }

        void dispatch(Delivery d) {
            try {
                Map<String, String> h = d.headers();
                Map<String, String> encoded = new HashMap<>(4);
                for (Member m : members) {
                    if (m.session.maySee(h)) {
                        String text = encoded.computeIfAbsent(m.subId, sub -> Frames.message(h, d.body(), Map.of(Frames.SUB, sub)));
                        m.session.sendFrame(text);
                    }
                }
            } finally {
                d.ack();
            }
        }
    }

    PersonalRouter(Transport backbone, String hubId) {
        this.backbone = backbone;
        this.group = "courierhub." + hubId;
    }

    /**
     * Adds a member to the route of {@code eventName}, creating the route (and its backbone
     * subscription) for the first one. Routes are reference-counted by their members: the last
     * {@link #unregister} removes the route and closes its backbone subscription (issue 11.9: before,
     * every event name ever subscribed kept a route and a backbone subscription for the hub's life).
     */
    synchronized void register(String eventName, HubSession session, String subId) {
        Route r = routes.get(eventName);
        if (r == null) {
            Route created = new Route(eventName);
            created.subscription = backbone.subscribe(Address.event(eventName), group, 256, created::dispatch);
            routes.put(eventName, created);
            r = created;
        }
        r.members.add(new Member(session, subId));
    }

    /** Removes the member {@code subId} of {@code session} from the route of {@code eventName}; frees a route left empty. */
    synchronized void unregister(String eventName, HubSession session, String subId) {
        Route r = routes.get(eventName);
        if (r != null) {
            r.members.removeIf(m -> m.session == session && m.subId.equals(subId));
            if (r.members.isEmpty()) {
                routes.remove(eventName);
                close(r.subscription);
            }
        }
    }

    /** Removes every member of {@code session}; frees the routes left empty. */
    synchronized void unregisterAll(HubSession session) {
        for (Iterator<Route> it = routes.values().iterator(); it.hasNext(); ) {
            Route r = it.next();
            if (r.members.removeIf(m -> m.session == session) && r.members.isEmpty()) {
                it.remove();
                close(r.subscription);
            }
        }
    }

    /**
     * Closes a freed route's backbone subscription and deletes its queue (group {@code courierhub.<hub id>}
     * exists only for this hub's routes): on a bridged hub a durable broker queue would otherwise stay
     * behind, collecting that event forever (issue 11.9). Called under the router's lock, so a new route
     * for the same event (register) cannot declare the queue while it is being deleted and then consume
     * a deleted queue; the delete is one broker round trip, bounded by the transport (AMQP: 5 s).
     */
    private static void close(TransportSubscription s) {
        if (s != null) {
            try {
                s.closeAndDelete();
            } catch (RuntimeException e) {
                // the backbone went away: nothing left to free
            }
        }
    }

    int routeCount() {
        return routes.size();
    }

    synchronized void close() {
        for (Route r : routes.values()) {
            close(r.subscription);
        }
        routes.clear();
    }
}
