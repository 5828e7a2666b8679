package dev.courier.amqp;

import dev.courier.kit.BrokerControl;
import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.BeforeAll;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The whole conformance kit against the real RabbitMQ; each test's names live under its namespace. */
class AmqpConformanceTest extends TransportConformanceKit {
    private static final Map<String, List<AmqpTransport>> CREATED = new ConcurrentHashMap<>();

    @BeforeAll
    static void broker() {
        RabbitBroker.uri();
    }

    @Override
    protected Transport newTransport(String namespace) {
        AmqpTransport t = AmqpTransport.builder().uri(RabbitBroker.uri()).namespace(namespace).build();
        CREATED.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /** As {@link #newTransport}, connecting to {@code proxy} instead of the broker (the kit's NetworkFault). */
    @Override
    protected Transport newTransportVia(String namespace, InetSocketAddress proxy) {
        AmqpTransport t = AmqpTransport.builder().uri(RabbitBroker.uri()).addresses(proxy.getHostString() + ":"
                + proxy.getPort()).namespace(namespace).build();
        CREATED.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /** The broker's host and port, from {@link RabbitBroker#uri()} (5672 when it names none). */
    @Override
    protected InetSocketAddress brokerAddress() {
        URI uri = URI.create(RabbitBroker.uri());
        return new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 5672 : uri.getPort());
    }

    /**
     * What AMQP fails today of the kit's connection cases (issue 13): the to-do of the transport's
     * move onto the shared support package. Remove an entry once the case passes.
     */
    @Override
    protected Map<String, String> knownDrift() {
        return Map.of(
                "startAgainstABrokerThatIsDownFailsWithTransportConnectException", "start retries for AmqpConfig's own"
                        + " startTimeout (30 s), not TransportContext.startTimeout() (2 s), then throws a bare"
                        + " CourierException ('could not connect to RabbitMQ at … within the startTimeout of PT30S'),"
                        + " not TransportConnectException",
                "settlingADeliveryFromACutConnectionFailsStale", "an ack of a delivery from a cut connection fails"
                        + " with a plain CourierException ('the delivery is stale, its channel closed …'), not"
                        + " spi.StaleDeliveryException");
    }

    /** A URI in this test's namespace, for the bus the kit starts in a child JVM. */
    @Override
    public Optional<String> transportUri() {
        String uri = RabbitBroker.uri();
        return Optional.of(uri + (uri.contains("?") ? "&" : "?") + "namespace=" + namespace());
    }

    /** The local broker, stopped and started with rabbitmqctl (RABBITMQ_NODENAME names an extra node). */
    @Override
    public Optional<BrokerControl> brokerControl() {
        return Optional.of(new BrokerControl() {
            @Override
            public String unavailableReason() {
                return RabbitBroker.controllable() ? null : "restart cases need the local broker and rabbitmqctl (as"
                        + " root, RABBITMQ_NODENAME naming its node when it is not the default)";
            }

            @Override
            public void stop() {
                if (!RabbitBroker.rabbitmqctl(120, "stop_app")) {
                    throw new IllegalStateException("rabbitmqctl stop_app failed");
                }
            }

            @Override
            public void start() {
                RabbitBroker.ensureRunning();
            }
        });
    }

    @Override
    protected void deleteNamespace(String namespace) {
        Set<String> names = new TreeSet<>();
        for (AmqpTransport t : CREATED.getOrDefault(namespace, List.of())) {
            names.addAll(t.knownNames());
        }
        // what the kit's child-JVM case declares from another JVM (service "jvmexit", one event)
        for (String n : List.of("courier.events", "courier.commands", "courier.dead-letter.jvmexit",
                "jvmexit.v1.kit.pinged")) {
            names.add(namespace + "." + n);
        }
        CREATED.remove(namespace);
        RabbitBroker.delete(names);
    }
}
