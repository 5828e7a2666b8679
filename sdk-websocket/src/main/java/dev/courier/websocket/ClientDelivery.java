package dev.courier.websocket;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A delivery from the hub. Settling sends ack/reject/redeliver on the connection it came on; after
 * a reconnect that connection is gone and the hub has already given the message back, so settling a
 * stale delivery does nothing (the redelivery is suppressed by deduplication).
 */
final class ClientDelivery implements Delivery {
    private final WebSocketTransport transport;
    private final ClientConnection conn;
    private final Address address;
    private final String group;
    private final String tag;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean redelivered;
    private final AtomicBoolean settled = new AtomicBoolean();

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

    @Override
    public CompletableFuture<Void> ack() {
        if (settled.compareAndSet(false, true) && tag != null) {
            conn.sendText(Frames.control(Frames.ACK, transport.source(), null, tagged()));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        if (settled.compareAndSet(false, true) && tag != null) {
            ObjectNode d = tagged();
            d.put("requeue", requeue);
            conn.sendText(Frames.control(Frames.REJECT, transport.source(), null, d));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!settled.compareAndSet(false, true) || tag == null || !transport.isCurrent(conn)) {
            // a stale delivery: the hub gave it back when the connection dropped
            return CompletableFuture.completedFuture(null);
        }
        ObjectNode d = tagged();
        d.put("delayMs", delay.toMillis());
        ObjectNode h = d.putObject("headers");
        newHeaders.forEach(h::put);
        return transport.request(conn, Frames.REDELIVER, d).thenApply(x -> (Void) null);
    }
}
