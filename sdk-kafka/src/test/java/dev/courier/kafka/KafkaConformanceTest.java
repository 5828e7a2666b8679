package dev.courier.kafka;

import dev.courier.kit.BrokerControl;
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

    /**
     * The broker on 127.0.0.1:9092 when .ci/kafka.sh started it (its pid file is there): stopped by that pid
     * and started again by the script. A broker found otherwise (COURIER_KAFKA_BOOTSTRAP, one started by
     * hand) is not restarted: the restart cases are then skipped, and fail under CI=true.
     */
    @Override
    public Optional<BrokerControl> brokerControl() {
        BrokerControl own = KafkaBroker.own(9092);
        return Optional.of(new BrokerControl() {
            @Override
            public String unavailableReason() {
                if (System.getenv("COURIER_KAFKA_BOOTSTRAP") != null
                        && !System.getenv("COURIER_KAFKA_BOOTSTRAP").trim().equals("127.0.0.1:9092")) {
                    return "the broker comes from COURIER_KAFKA_BOOTSTRAP, not from .ci/kafka.sh";
                }
                if (!java.nio.file.Files.exists(java.nio.file.Path.of("/tmp/courier-kafka/pid"))) {
                    return "the broker on 127.0.0.1:9092 was not started by .ci/kafka.sh (no /tmp/courier-kafka/pid)";
                }
                return own.unavailableReason();
            }

            @Override
            public void stop() {
                own.stop();
            }

            @Override
            public void start() {
                own.start();
            }
        });
    }

    @Override
    protected void deleteNamespace(String namespace) {
        KafkaBroker.deleteNamespace(namespace);
    }
}
