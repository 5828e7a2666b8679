package dev.courier.opentelemetry;

import dev.courier.micrometer.TestTransports;

/** {@link TracingChainTest} through a WebSocket hub: the traceparent travels in the structured CloudEvent. */
class WebSocketTracingTest extends TracingChainTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.websocket();
    }
}
