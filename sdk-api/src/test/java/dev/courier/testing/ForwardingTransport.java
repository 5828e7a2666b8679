package dev.courier.testing;

import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** A transport that forwards everything to another one; tests override what they want to break or observe. */
public class ForwardingTransport implements Transport {
    protected final Transport delegate;

    public ForwardingTransport(Transport delegate) {
        this.delegate = delegate;
    }

    @Override
    public void start(TransportContext context) {
        delegate.start(context);
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        return delegate.publish(to, headers, body);
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        return delegate.subscribe(address, group, prefetch, callback);
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
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
