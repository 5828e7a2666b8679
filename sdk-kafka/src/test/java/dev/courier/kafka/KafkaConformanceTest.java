package dev.courier.kafka;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.BeforeAll;

import java.util.Optional;

/**
 * The whole conformance kit on Kafka against the real broker (see {@link KafkaBroker}). Each test's
 * namespace is its topic and group prefix; its topics and groups are deleted after it.
 */
class KafkaConformanceTest extends TransportConformanceKit {

    @BeforeAll
    static void broker() {
        KafkaBroker.bootstrap();
    }

    @Override
    protected Transport newTransport(String namespace) {
        return KafkaTransport.of(KafkaBroker.config(namespace));
    }

    /** A URI in this test's namespace, for the bus the kit starts in a child JVM. */
    @Override
    public Optional<String> transportUri() {
        return Optional.of(KafkaBroker.uri(namespace()));
    }

    // No brokerControl(): Kafka keeps a consumer's group membership and partitions across a broker restart
    // (the coordinator's state is durable and the member rejoins within its session timeout), so the kit's
    // restart case that expects deliveries from before a reconnect to turn stale does not hold on Kafka.
    // KafkaFaultTest restarts a broker of its own (by the pid .ci/kafka.sh started) and counts losses instead.

    @Override
    protected void deleteNamespace(String namespace) {
        KafkaBroker.deleteNamespace(namespace);
    }
}
