package dev.courier.memory;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory transport passes the whole kit. Each test has a broker of its own with small queues
 * (1,000 messages), so the kit's bursts reach the back-pressure paths. There is no broker to restart:
 * the {@code RestartsBroker} cases are skipped.
 */
class InMemoryConformanceTest extends TransportConformanceKit {
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
