package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A delivery from the hub. Settle once: the first of ack, reject or redeliverLater claims the
 * delivery with one compare-and-set before anything is sent; later calls send nothing and complete
 * normally (a failed redeliverLater gives the claim back). A delivery is stale once its connection
 * is no longer the transport's live one (the transport closed, or the connection dropped and was
 * replaced): the hub has already given the message back, so settling it sends nothing and fails with
 * a {@link CourierException} saying so.
 */
final class ClientDelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
    private static final int OPEN = 0;
    private static final int CLAIMED = 1;

    private final WebSocketTransport transport;
    private final ClientConnection conn;
    private final Address address;
    private final String group;
    private final String tag;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean redelivered;
    private final AtomicInteger state = new AtomicInteger(OPEN);

    ClientDelivery(WebSocketTransport transport, ClientConnection conn, Address address, String group, String tag,
                   Map<String, String> headers, byte[] body, boolean redelivered) {
        this.transport = transport;
        this.conn = conn;
        this.address = address;
        this.group = group;
        this.tag = tag;
        this.headers = headers;
        this.body = body;
        this.redelivered = redelivered;
    }

    @Override
    public Address address() {
        return address;
    }

    @Override
    public String group() {
        return group;
    }

    @Override
    public Map<String, String> headers() {
        return headers;
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    private ObjectNode tagged() {
        ObjectNode d = Frames.data();
        d.put("tag", Long.parseLong(tag));
        return d;
    }

    private CompletableFuture<Void> stale(String what) {
        return CompletableFuture.failedFuture(new CourierException(what + " of a stale delivery from " + address
                + ": its connection to the hub " + transport.describe() + " is gone (" + (transport.isClosed()
                ? "transport closed" : "connection replaced") + "); the hub has given the message back and delivers it"
                + " again"));
    }

    /** Claims and sends one settle frame; a stale or unsent one fails. */
    private CompletableFuture<Void> settleOnce(String what, String type, ObjectNode data) {
        if (!state.compareAndSet(OPEN, CLAIMED)) {
            return CompletableFuture.completedFuture(null);
        }
        if (tag == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (!transport.isCurrent(conn) || !conn.sendText(Frames.control(type, transport.source(), null, data))) {
            return stale(what);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> ack() {
        return settleOnce("ack", Frames.ACK, tag == null ? null : tagged());
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        ObjectNode d = tag == null ? null : tagged();
        if (d != null) {
            d.put("requeue", requeue);
        }
        return settleOnce("reject", Frames.REJECT, d);
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!state.compareAndSet(OPEN, CLAIMED)) {
            return CompletableFuture.completedFuture(null);
        }
        if (tag == null) {
            return CompletableFuture.completedFuture(null);
        }
        if (!transport.isCurrent(conn)) {
            return stale("redeliverLater");
        }
        ObjectNode d = tagged();
        d.put("delayMs", delay.toMillis());
        ObjectNode h = d.putObject("headers");
        newHeaders.forEach(h::put);
        CompletableFuture<Void> result = new CompletableFuture<>();
        transport.request(conn, Frames.REDELIVER, d).whenComplete((x, e) -> {
            if (e == null) {
                result.complete(null);
            } else {
                if (transport.isCurrent(conn)) {
                    state.set(OPEN); // nothing was settled: the caller may settle it otherwise
                }
                result.completeExceptionally(e instanceof CourierException ? e
                        : new CourierException("redeliverLater failed: " + e.getMessage(), e));
            }
        });
        return result;
    }
}
