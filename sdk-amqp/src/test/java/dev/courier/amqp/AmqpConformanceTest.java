package dev.courier.amqp;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;
import java.util.Map;
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

    @Override
    protected void deleteNamespace(String namespace) {
        Set<String> names = new TreeSet<>();
        for (AmqpTransport t : CREATED.getOrDefault(namespace, List.of())) {
            names.addAll(t.knownNames());
        }
        CREATED.remove(namespace);
        RabbitBroker.delete(names);
    }
}
