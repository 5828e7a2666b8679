package dev.courier.micrometer;

/** {@link CourierMetricsTest} on a WebSocket hub. */
class WebSocketMetricsTest extends CourierMetricsTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.websocket();
    }
}
