package dev.courier.amqp;

import dev.courier.kit.BrokerControl;
import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.BeforeAll;

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
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().uri(RabbitBroker.uri()).namespace(namespace).build());
        CREATED.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /**
     * A transport in {@code namespace} that reaches RabbitMQ through the kit's in-JVM proxy (the
     * connection cases: a broker that is down, a blackhole, a cut), with the test broker's credentials.
     *
     * @param namespace the test's namespace
     * @param proxy     the proxy's address
     * @return an unstarted transport
     */
    @Override
    protected Transport newTransportVia(String namespace, java.net.InetSocketAddress proxy) {
        AmqpTransport t = AmqpTransport.of(AmqpConfig.fromUri(RabbitBroker.uri()).toBuilder()
                .addresses(proxy.getHostString() + ":" + proxy.getPort()).namespace(namespace).build());
        CREATED.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /**
     * The test broker's first node, for the kit's proxy to forward to.
     *
     * @return its host and port
     */
    @Override
    protected java.net.InetSocketAddress brokerAddress() {
        String first = AmqpConfig.fromUri(RabbitBroker.uri()).addresses().get(0);
        int colon = first.lastIndexOf(':');
        return new java.net.InetSocketAddress(first.substring(0, colon).replace("[", "").replace("]", ""),
                Integer.parseInt(first.substring(colon + 1)));
    }

    /**
     * None: AMQP passes every case of the kit, the connection cases included (it is built on the
     * support package: start-up fails with TransportConnectException at TransportContext.startTimeout(),
     * a stale settle with StaleDeliveryException).
     */
    @Override
    protected Map<String, String> knownDrift() {
        return Map.of();
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
