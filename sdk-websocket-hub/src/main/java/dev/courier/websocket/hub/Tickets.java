package dev.courier.websocket.hub;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-time, short-lived connection tickets for browsers: a page trades its bearer token for a ticket
 * over HTTP ({@code POST /courier/ticket}) and puts the ticket, not the token, in the WebSocket URL.
 */
final class Tickets {
    static final int MAX_OUTSTANDING = 10_000;

    private final SecureRandom random = new SecureRandom();
    private final long ttlNanos;
    private final Map<String, Entry> tickets = new ConcurrentHashMap<>();

    private static final class Entry {
        final WebSocketPrincipal principal;
        final long expires;

        Entry(WebSocketPrincipal principal, long expires) {
            this.principal = principal;
            this.expires = expires;
        }
    }

    Tickets(Duration ttl) {
        this.ttlNanos = ttl.toNanos();
    }

    long ttlSeconds() {
        return Math.max(1, ttlNanos / 1_000_000_000L);
    }

    /** A new ticket, or null when too many are outstanding. */
    String issue(WebSocketPrincipal principal) {
        long now = System.nanoTime();
        if (tickets.size() >= MAX_OUTSTANDING) {
            for (Iterator<Entry> it = tickets.values().iterator(); it.hasNext(); ) {
                if (it.next().expires - now < 0) {
                    it.remove();
                }
            }
            if (tickets.size() >= MAX_OUTSTANDING) {
                return null;
            }
        }
        byte[] b = new byte[24];
        random.nextBytes(b);
        String t = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        tickets.put(t, new Entry(principal, now + ttlNanos));
        return t;
    }

    /** The ticket's principal once; null when unknown, used or expired. */
    WebSocketPrincipal redeem(String ticket) {
        Entry e = tickets.remove(ticket);
        if (e == null || e.expires - System.nanoTime() < 0) {
            return null;
        }
        return e.principal;
    }
}
