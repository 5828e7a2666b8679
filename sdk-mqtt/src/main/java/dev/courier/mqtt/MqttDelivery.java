package dev.courier.mqtt;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One received message. MQTT has no requeue: {@code reject(true)} republishes to the service's direct
 * topic and {@code redeliverLater} to its retry topic, and both acknowledge the original only after
 * the broker confirmed the copy. Internal.
 */
final class MqttDelivery implements Delivery {
    private final MqttTransport transport;
    private final Subscription sub;
    private final Connection.Received received;
    private final Map<String, String> headers;
    private final boolean redelivered;
    private final AtomicBoolean settled = new AtomicBoolean();

    MqttDelivery(MqttTransport transport, Subscription sub, Connection.Received received, Map<String, String> headers,
                 boolean redelivered) {
        this.transport = transport;
        this.sub = sub;
        this.received = received;
        this.headers = Map.copyOf(headers);
        this.redelivered = redelivered;
    }

    @Override
    public Address address() {
        return sub.address;
    }

    @Override
    public String group() {
        return sub.group;
    }

    @Override
    public Map<String, String> headers() {
        return headers;
    }

    @Override
    public byte[] body() {
        return received.message().body();
    }

    @Override
    public boolean redelivered() {
        return redelivered;
    }

    private boolean settle() {
        if (settled.compareAndSet(false, true)) {
            sub.settled();
            return true;
        }
        return false;
    }

    private void acknowledge() {
        received.message().ack().run();
    }

    @Override
    public CompletableFuture<Void> ack() {
        if (settle()) {
            acknowledge();
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        if (!settle()) {
            return CompletableFuture.completedFuture(null);
        }
        if (!requeue) {
            acknowledge();
            return CompletableFuture.completedFuture(null);
        }
        if (sub.isClosed()) {
            // The bus is closing and gives back what it did not start. Republishing now could go to a
            // direct group this instance is leaving (on 3.1.1 a publish nobody takes is silently
            // dropped); left unacknowledged, the message stays in the session and is redelivered to
            // whoever resumes or takes over the session.
            return CompletableFuture.completedFuture(null);
        }
        return again(headers);
    }

    private CompletableFuture<Void> again(Map<String, String> h) {
        return transport.republish(sub, h, body(), null).thenRun(this::acknowledge);
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!settle()) {
            return CompletableFuture.completedFuture(null);
        }
        return transport.republish(sub, newHeaders, body(), delay).thenRun(this::acknowledge)
                .exceptionallyCompose(e -> again(newHeaders));
    }
}
