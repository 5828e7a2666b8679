package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import org.java_websocket.handshake.ClientHandshake;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Who may open a connection, decided at the handshake (subprotocol, origin, connection limits,
 * authentication by bearer token, token subprotocol or ticket), and the count of open connections in
 * total and per principal with each principal's rate limit. Runs on Java-WebSocket's threads; never blocks.
 */
final class Admission {
    private final HubConfig s;
    private final Tickets tickets;
    private final AtomicInteger sessions = new AtomicInteger();
    private final Map<String, AtomicInteger> perPrincipal = new ConcurrentHashMap<>();
    private final Map<String, TokenBucket> buckets = new ConcurrentHashMap<>();
    private volatile Set<String> ownOrigins = Set.of();

    /**
     * The answer to one handshake.
     *
     * @param refusal the HTTP status line to answer with, or null when admitted
     * @param principal who connects, when admitted
     * @param bucket the principal's rate limit, when admitted
     */
    record Decision(String refusal, WebSocketPrincipal principal, TokenBucket bucket) {
        static Decision refuse(String statusLine) {
            return new Decision(statusLine, null, null);
        }
    }

    Admission(HubConfig s, Tickets tickets) {
        this.s = s;
        this.tickets = tickets;
    }

    /** The origins of the hub's own HTTP pages, allowed unless {@code allowOwnOrigin(false)}. */
    void ownOrigins(Set<String> origins) {
        this.ownOrigins = Set.copyOf(origins);
    }

    int count() {
        return sessions.get();
    }

    Decision decide(ClientHandshake request) {
        String protocols = request.getFieldValue("Sec-WebSocket-Protocol");
        String tokenFromProtocol = null;
        boolean cloudEvents = false;
        for (String p : protocols.split(",")) {
            String t = p.trim();
            if (t.equals(Frames.PROTOCOL)) {
                cloudEvents = true;
            } else if (t.startsWith(Frames.TOKEN_PROTOCOL_PREFIX)) {
                tokenFromProtocol = t.substring(Frames.TOKEN_PROTOCOL_PREFIX.length());
            }
        }
        if (!cloudEvents) {
            return Decision.refuse("400 Subprotocol cloudevents.json required");
        }
        String origin = request.getFieldValue("Origin");
        if (!origin.isEmpty() && !s.allowedOrigins().contains(origin) && !(s.allowOwnOrigin() && ownOrigins.contains(origin))) {
            return Decision.refuse("403 Origin not allowed");
        }
        if (sessions.get() >= s.maxConnections()) {
            return Decision.refuse("503 Too many connections");
        }
        WebSocketPrincipal principal = null;
        String auth = request.getFieldValue("Authorization");
        String token = null;
        if (auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            token = auth.substring(7).trim();
        } else if (tokenFromProtocol != null) {
            token = tokenFromProtocol;
        }
        if (token != null && !token.isEmpty()) {
            principal = s.authenticator().authenticate(token);
        } else {
            String ticket = Frames.queryParameter(request.getResourceDescriptor(), "ticket");
            if (ticket != null) {
                principal = tickets.redeem(ticket);
            }
        }
        if (principal == null) {
            return Decision.refuse("401 Unauthorized");
        }
        AtomicInteger mine = perPrincipal.get(principal.name());
        if (mine != null && mine.get() >= s.maxConnectionsPerPrincipal()) {
            return Decision.refuse("429 Too many connections for this principal");
        }
        TokenBucket bucket = buckets.computeIfAbsent(principal.name(), n -> new TokenBucket(s.messagesPerSecond(), s.burst()));
        return new Decision(null, principal, bucket);
    }

    /** Counts an opened session among the open connections. */
    void opened(HubSession session) {
        sessions.incrementAndGet();
        perPrincipal.computeIfAbsent(session.principal.name(), n -> new AtomicInteger()).incrementAndGet();
    }

    /** Stops counting a session counted by {@link #opened}; a principal's last one drops its rate limit. */
    void release(HubSession session) {
        sessions.decrementAndGet();
        String name = session.principal.name();
        AtomicInteger mine = perPrincipal.get(name);
        if (mine != null && mine.decrementAndGet() <= 0) {
            perPrincipal.remove(name, mine);
            if (!perPrincipal.containsKey(name)) {
                buckets.remove(name);
            }
        }
    }
}
