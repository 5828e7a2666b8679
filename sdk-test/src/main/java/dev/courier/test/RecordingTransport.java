package dev.courier.test;

import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The harness's view of one bus's in-memory transport: records every message the broker took, and
 * under manual time holds delayed redeliveries until the test advances time. Internal.
 */
final class RecordingTransport implements Transport {
    private final Transport delegate;
    private final Consumer<WireMessage> record;
    private final ManualTime time; // null: real time

    RecordingTransport(Transport delegate, Consumer<WireMessage> record, ManualTime time) {
        this.delegate = delegate;
        this.record = record;
        this.time = time;
    }

    @Override
    public void start(TransportContext context) {
        delegate.start(context);
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        Map<String, String> copy = Map.copyOf(headers);
        byte[] bytes = body.clone();
        return delegate.publish(to, headers, body).whenComplete((ok, error) -> {
            if (error == null) {
                record.accept(new WireMessage(to.kind(), to.name(), to.group(), copy, bytes, Instant.now()));
            }
        });
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (time == null) {
            return delegate.subscribe(address, group, prefetch, callback);
        }
        return delegate.subscribe(address, group, prefetch, d -> callback.onDelivery(new HeldRedelivery(d)));
    }

    @Override
    public <T> java.util.Optional<T> ability(Class<T> type) {
        return delegate.ability(type);
    }

    @Override
    public boolean isConnected() {
        return delegate.isConnected();
    }

    @Override
    public Set<Capability> capabilities() {
        return delegate.capabilities();
    }

    @Override
    public Limits limits() {
        return delegate.limits();
    }

    @Override
    public String describe() {
        return delegate.describe() + " (courier-test harness)";
    }

    @Override
    public void close() {
        delegate.close();
    }

    /**
     * Under manual time a delayed redelivery is taken off the broker (acked) and published again to
     * the same service when the test has advanced time past its delay — the in-memory broker's own
     * timer runs on wall time.
     */
    private final class HeldRedelivery implements Delivery, dev.courier.spi.DelayedRedelivery {
        private final Delivery d;

        HeldRedelivery(Delivery d) {
            this.d = d;
        }

        @Override
        public Address address() {
            return d.address();
        }

        @Override
        public String group() {
            return d.group();
        }

        @Override
        public Map<String, String> headers() {
            return d.headers();
        }

        @Override
        public byte[] body() {
            return d.body();
        }

        @Override
        public boolean redelivered() {
            return d.redelivered();
        }

        @Override
        public CompletableFuture<Void> ack() {
            return d.ack();
        }

        @Override
        public CompletableFuture<Void> reject(boolean requeue) {
            return d.reject(requeue);
        }

        @Override
        public CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay) {
            Address a = d.address();
            Address again = a.kind() == Address.Kind.EVENT && d.group() != null ? Address.event(a.name(), d.group()) : a;
            Map<String, String> h = Map.copyOf(headers);
            byte[] body = d.body().clone();
            return d.ack().thenRun(() -> time.scheduler().schedule(() -> delegate.publish(again, h, body),
                    delay.toMillis(), TimeUnit.MILLISECONDS));
        }
    }
}
