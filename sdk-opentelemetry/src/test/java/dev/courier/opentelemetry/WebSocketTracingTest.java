package dev.courier.opentelemetry;

/** {@link TracingChainTest} through a WebSocket hub: the traceparent travels in the structured CloudEvent. */
class WebSocketTracingTest extends TracingChainTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.websocket();
    }
}
