package dev.courier.amqp;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * An error reply Courier makes up, on this side, for a request whose reply can no longer arrive:
 * the reply queue is exclusive to the consuming connection and went with it. Handing it to the
 * reply subscription fails the caller's future at once instead of letting it time out. Internal.
 */
final class LostReply implements Delivery {
    static final String ERROR_TYPE = "dev.courier.amqp.ReplyQueueLost";

    private final Address address;
    private final String group;
    private final Map<String, String> headers;

    LostReply(Address address, String group, String requestId, String requestType, String replyQueue) {
        this.address = address;
        this.group = group;
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, UUID.randomUUID().toString());
        h.put(Headers.SOURCE, "courier-amqp");
        h.put(Headers.TYPE, requestType + ".reply");
        h.put(Headers.TIME, Instant.now().toString());
        h.put(Headers.SPECVERSION, Headers.SPEC_VERSION_1_0);
        h.put(Headers.DATACONTENTTYPE, "application/json");
        h.put(Headers.CAUSATION_ID, requestId);
        h.put(Headers.REPLY_STATUS, "error");
        h.put(Headers.DL_ERROR_TYPE, ERROR_TYPE);
        h.put(Headers.DL_ERROR_MESSAGE, "the connection to RabbitMQ dropped while this request waited for its reply,"
                + " and the reply queue " + replyQueue + " went with it; the request may still be handled."
                + " Send it again if needed: receivers deduplicate by id");
        this.headers = Map.copyOf(h);
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
        return "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public boolean redelivered() {
        return false;
    }

    @Override
    public CompletableFuture<Void> ack() {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> h, Duration delay) {
        return CompletableFuture.completedFuture(null);
    }
}
