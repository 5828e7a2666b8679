package dev.courier.opentelemetry;

import dev.courier.MessageBus;

import java.util.UUID;

/** {@link TracingChainTest} on the in-memory transport. */
class MemoryTracingTest extends TracingChainTest {
    private final String broker = "otel-" + UUID.randomUUID();

    @Override
    MessageBus.Builder on(MessageBus.Builder builder) {
        return builder.transport("memory:" + broker);
    }

    @Override
    String system() {
        return "memory";
    }
}
