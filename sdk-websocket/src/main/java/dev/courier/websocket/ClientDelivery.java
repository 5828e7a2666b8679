package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.support.SettleOnceDelivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A delivery from the hub. Settle-once comes from {@link SettleOnceDelivery}; what is WebSocket's is
 * the settle frames (ack, reject and redeliver name the delivery's tag) and when it is stale: once its
 * connection is closed (dropped, replaced or the transport closed), the hub has given the message
 * back, so a settle sends nothing and fails with {@link dev.courier.spi.StaleDeliveryException}.
 * A delivery without a tag (the hub needs no settle) settles without sending anything.
 */
final class ClientDelivery extends SettleOnceDelivery {
    private final WebSocketTransport transport;
    private final ClientConnection conn;
    private final String tag;

    ClientDelivery(WebSocketTransport transport, ClientConnection conn, Address address, String group, String tag,
                   Map<String, String> headers, byte[] body, boolean redelivered) {
        super(address, group, headers, body, redelivered);
        this.transport = transport;
        this.conn = conn;
        this.tag = tag;
    }

    /** An ack or reject frame for {@code tag}; {@code requeue} only for a reject. */
    static String settleFrame(String type, String tag, boolean requeue, String source) {
        return Frames.settle(type, source, Long.parseLong(tag), requeue);
    }

    @Override
    protected boolean isStale() {
        return tag != null && (transport.isClosed() || conn.isClosed() || conn.isClosing());
    }

    @Override
    protected String staleReason() {
        return "its connection to the hub " + transport.describe() + " is gone (" + (transport.isClosed()
                ? "transport closed" : "connection lost") + "); the hub has given the message back";
    }

    private CompletableFuture<Void> send(String what, String type, boolean requeue) {
        if (tag == null) {
            return CompletableFuture.completedFuture(null);
        }
        return conn.sendText(settleFrame(type, tag, requeue, transport.source())) ? CompletableFuture.completedFuture(null)
                : stale(what);
    }

    @Override
    protected CompletableFuture<Void> sendAck() {
        if (tag != null && conn.batching()) {
            // feature batch: with the other acks of the connection's read run, in one frame
            return conn.ack(Long.parseLong(tag)) ? CompletableFuture.completedFuture(null) : stale("ack");
        }
        return send("ack", Frames.ACK, false);
    }

    @Override
    protected CompletableFuture<Void> sendReject(boolean requeue) {
        return send("reject", Frames.REJECT, requeue);
    }

    @Override
    protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (tag == null) {
            return CompletableFuture.completedFuture(null);
        }
        ObjectNode d = Frames.data();
        d.put("tag", Long.parseLong(tag));
        d.put("delayMs", delay.toMillis());
        ObjectNode h = d.putObject("headers");
        newHeaders.forEach(h::put);
        return transport.request(conn, Frames.REDELIVER, d).handle((x, e) -> {
            if (e == null) {
                return null;
            }
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            throw c instanceof CourierException ce ? ce : new CourierException("redeliverLater failed: " + c, c);
        });
    }
}
