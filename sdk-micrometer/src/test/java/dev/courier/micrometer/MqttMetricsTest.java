package dev.courier.micrometer;

/** {@link CourierMetricsTest} on Mosquitto (MQTT 5). */
class MqttMetricsTest extends CourierMetricsTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.mqtt();
    }
}
