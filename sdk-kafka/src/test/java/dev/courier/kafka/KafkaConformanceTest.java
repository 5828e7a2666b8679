package dev.courier.kafka;

import dev.courier.kit.BrokerControl;
import dev.courier.kit.NetworkFault;
import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * The whole conformance kit on Kafka, against a broker of this class's own ({@link PrivateBroker}, started
 * once for the class and stopped by its pid after it), so the connection cases can put their proxy where
 * the broker's advertised listener sends clients, and the restart cases can stop and start it without
 * touching the shared broker. Each test's namespace is its topic and group prefix; its topics and groups
 * are deleted after it.
 */
class KafkaConformanceTest extends TransportConformanceKit {
    private static volatile PrivateBroker broker;

    @BeforeAll
    static void broker() {
        broker = PrivateBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        PrivateBroker b = broker;
        broker = null;
        if (b != null) {
            b.close();
        }
    }

    /**
     * Longer than the kit's 30 s: the restart cases publish while the private broker is down, with this as
     * the publish timeout, and a KRaft broker's restart took 25 to 65 s on the 2-core CI machine under load
     * (the times are printed to the test's output). Waits end as soon as their condition holds.
     */
    @Override
    public java.time.Duration patience() {
        return java.time.Duration.ofSeconds(90);
    }

    private static KafkaConfig config(String bootstrap, String namespace) {
        return KafkaConfig.builder(bootstrap).prefix(namespace).partitions(2).build();
    }

    @Override
    protected Transport newTransport(String namespace) {
        return KafkaTransport.of(config(broker.bootstrap(), namespace));
    }

    /** Called in the child JVM of the start-up case too: depends on nothing but its arguments. */
    @Override
    protected Transport newTransportVia(String namespace, InetSocketAddress proxy) {
        return KafkaTransport.of(config(proxy.getHostString() + ":" + proxy.getPort(), namespace));
    }

    @Override
    protected InetSocketAddress brokerAddress() {
        return broker.address();
    }

    /** On a port the broker advertises (one of its proxied listeners), so the client comes back through it. */
    @Override
    protected NetworkFault newNetworkFault(InetSocketAddress ignored) {
        return broker.fault(namespace());
    }

    @Override
    public Optional<BrokerControl> brokerControl() {
        return Optional.of(broker.control());
    }

    /** A URI in this test's namespace, for the bus the kit starts in a child JVM. */
    @Override
    public Optional<String> transportUri() {
        return Optional.of("kafka://" + broker.bootstrap() + "?prefix=" + namespace() + "&partitions=2");
    }

    @Override
    protected void deleteNamespace(String namespace) {
        KafkaBroker.deleteNamespace(broker.bootstrap(), namespace);
        broker.release(namespace);
    }
}
