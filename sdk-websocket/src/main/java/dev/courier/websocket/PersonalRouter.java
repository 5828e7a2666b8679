package dev.courier.websocket;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportSubscription;

import java.util.HashMap;
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

    void register(String eventName, HubSession session, String subId) {
        Route r;
        synchronized (this) {
            r = routes.get(eventName);
            if (r == null) {
                Route created = new Route(eventName);
                created.subscription = backbone.subscribe(Address.event(eventName), group, 256, created::dispatch);
                routes.put(eventName, created);
                r = created;
            }
        }
        r.members.add(new Member(session, subId));
    }

    void unregister(HubSession session, String subId) {
        for (Route r : routes.values()) {
            r.members.removeIf(m -> m.session == session && (subId == null || m.subId.equals(subId)));
        }
    }

    int routeCount() {
        return routes.size();
    }

    synchronized void close() {
        for (Route r : routes.values()) {
            TransportSubscription s = r.subscription;
            if (s != null) {
                s.close();
            }
        }
        routes.clear();
    }
}
