package dev.courier.opentelemetry;

import dev.courier.micrometer.TestTransports;

/** {@link TracingChainTest} on RabbitMQ: the traceparent travels as an AMQP header. */
class AmqpTracingTest extends TracingChainTest {
    @Override
    TestTransports.TestTransport transport() {
        return TestTransports.amqp();
    }
}
