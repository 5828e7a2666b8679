package dev.courier.opentelemetry;

import dev.courier.micrometer.TestTransports;

/** {@link TracingChainTest} on the in-memory transport. */
class MemoryTracingTest extends TracingChainTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.memory();
    }
}
