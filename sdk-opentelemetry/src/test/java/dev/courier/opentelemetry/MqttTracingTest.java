package dev.courier.opentelemetry;

import dev.courier.micrometer.TestTransports;

/** {@link TracingChainTest} on Mosquitto (MQTT 5): the traceparent travels as a user property. */
class MqttTracingTest extends TracingChainTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.mqtt();
    }
}
