package dev.courier.kafka;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Makes {@code kafka://host:9092,host2:9092?...} work in
 * {@code MessageBus.builder(...).transport("kafka://localhost:9092")} once sdk-kafka is on the class path.
 * URI parameters are described in {@link KafkaConfig#fromUri}.
 */
public final class KafkaTransportProvider implements TransportProvider {

    /** Found by {@link java.util.ServiceLoader}. */
    public KafkaTransportProvider() {
    }

    @Override
    public boolean supports(URI uri) {
        return "kafka".equalsIgnoreCase(uri.getScheme());
    }

    @Override
    public Transport create(URI uri) {
        return KafkaTransport.of(uri.toString());
    }
}
