package dev.courier.micrometer;

/** {@link CourierMetricsTest} on RabbitMQ. */
class AmqpMetricsTest extends CourierMetricsTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.amqp();
    }
}
