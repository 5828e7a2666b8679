package dev.courier.memory;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/** Provides {@code memory:} (the shared in-process broker) and {@code memory:name} (a named one). */
public final class InMemoryTransportProvider implements TransportProvider {
    @Override
    public boolean supports(URI uri) {
        return "memory".equalsIgnoreCase(uri.getScheme());
    }

    @Override
    public Transport create(URI uri) {
        String name = uri.getSchemeSpecificPart();
        return (name == null || name.isEmpty() ? InMemoryBroker.shared() : InMemoryBroker.named(name)).connect();
    }
}
