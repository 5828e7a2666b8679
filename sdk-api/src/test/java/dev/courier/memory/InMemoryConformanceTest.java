package dev.courier.memory;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;

/** The in-memory transport passes the whole kit. */
class InMemoryConformanceTest extends TransportConformanceKit {
    @Override
    protected Transport newTransport(String namespace) {
        return InMemoryBroker.named(namespace).connect();
    }
}
