package dev.courier.testing;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A delivery that records how it was settled, for unit tests of the pipeline's parts. */
public final class RecordingDelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
    private final Address address;
    private final Map<String, String> headers;
    private final byte[] body;
    private final List<String> settles = new CopyOnWriteArrayList<>();

    public RecordingDelivery(Address address, Map<String, String> headers, byte[] body) {
        this.address = address;
        this.headers = Map.copyOf(headers);
        this.body = body;
    }

    /** Every settle call in order: {@code ack}, {@code reject(true)}, {@code reject(false)}, {@code redeliverLater}. */
    public List<String> settles() {
        return List.copyOf(settles);
    }

    @Override
    public Address address() {
        return address;
    }

    @Override
    public String group() {
        return "test";
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
        return false;
    }

    @Override
    public CompletableFuture<Void> ack() {
        settles.add("ack");
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> reject(boolean requeue) {
        settles.add("reject(" + requeue + ")");
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay) {
        settles.add("redeliverLater");
        return CompletableFuture.completedFuture(null);
    }
}
