package dev.courier.amqp;

import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers the requests this transport sent with its own reply address until their reply arrives
 * (or their deadline passes), so that when the consuming connection drops — and the exclusive reply
 * queue with it — each waiting caller gets an error reply at once instead of a timeout. Internal.
 */
final class ReplyGuard {
    private static final int PURGE_ABOVE = 10_000;

    private record Request(String type, long deadlineMillis) {
    }

    private final Map<String, Request> requests = new ConcurrentHashMap<>();
    private volatile AmqpSubscription replySubscription;
    private volatile DeliveryCallback callback;

    void watch(AmqpSubscription replies, DeliveryCallback callback) {
        this.replySubscription = replies;
        this.callback = callback;
    }

    /** Called for every command published: tracks it when it asks for a reply on this instance. */
    void track(Map<String, String> headers) {
        AmqpSubscription rs = replySubscription;
        String replyTo = headers.get(Headers.REPLY_TO);
        String id = headers.get(Headers.ID);
        if (rs == null || replyTo == null || id == null || !replyTo.equals(rs.address.name())) {
            return;
        }
        if (requests.size() > PURGE_ABOVE) {
            long now = System.currentTimeMillis();
            requests.values().removeIf(r -> r.deadlineMillis() < now);
        }
        long deadline;
        try {
            deadline = Long.parseLong(headers.getOrDefault(Headers.DEADLINE, Long.toString(Long.MAX_VALUE)));
        } catch (NumberFormatException e) {
            deadline = Long.MAX_VALUE;
        }
        requests.put(id, new Request(headers.get(Headers.TYPE), deadline));
    }

    /** A reply arrived on the reply queue: its request no longer waits. */
    void arrived(Map<String, String> headers) {
        String requestId = headers.get(Headers.CAUSATION_ID);
        if (requestId != null) {
            requests.remove(requestId);
        }
    }

    /**
     * The consuming connection dropped and the exclusive reply queue with it: the bus fails every
     * request still waiting at once (through {@link TransportContext#replyAddressLost()}).
     */
    void connectionLost(TransportContext context) {
        long now = System.currentTimeMillis();
        boolean waiting = requests.values().stream().anyMatch(r -> r.deadlineMillis() > now);
        requests.clear();
        if (waiting && context != null) {
            context.replyAddressLost().accept("the connection to RabbitMQ dropped and the exclusive reply queue with it");
        }
    }
}
