package dev.courier.kitcheck;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Transport;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The published kit, used the way a transport author uses it — from its own artifact, in another
 * package — against the in-memory transport: every case must pass (or be skipped with its reason).
 */
class KitArtifactTest extends TransportConformanceKit {
    private final Map<String, InMemoryBroker> brokers = new ConcurrentHashMap<>();

    @Override
    protected Transport newTransport(String namespace) {
        return brokers.computeIfAbsent(namespace, ns -> InMemoryBroker.create(1_000, 1_000)).connect();
    }

    @Override
    protected void deleteNamespace(String namespace) {
        brokers.remove(namespace);
    }

    @Override
    public Optional<String> transportUri() {
        return Optional.of("memory:" + namespace());
    }
}
