package dev.courier.amqp;

import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every thread a bus's AMQP transport starts carries Courier's name and the bus's (issue 17: the
 * amqp-topology benchmark found six of a bus's ten threads named {@code pool-N-thread-M}, amqp-client's
 * consumer dispatch pools, which a thread dump of a 100-service process could not attribute).
 */
class AmqpThreadNamesTest {

    /** @param n a number */
    @MessageName("v1.thrn.pinged")
    record Pinged(int n) implements Event {
    }

    @BeforeAll
    static void broker() {
        RabbitBroker.uri();
    }

    @Test
    void theTransportsThreadsAreNamedAfterTheBus() throws Exception {
        String namespace = "thrn" + System.nanoTime() % 100000;
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        CountDownLatch handled = new CountDownLatch(20);
        AmqpTransport sinkTransport = AmqpTransport.of(AmqpConfig.builder().uri(RabbitBroker.uri()).namespace(namespace).build());
        AmqpTransport pubTransport = AmqpTransport.of(AmqpConfig.builder().uri(RabbitBroker.uri()).namespace(namespace).build());
        MessageBus sink = MessageBus.builder("thrn-sink").instanceId("i1").transport(sinkTransport)
                .onEvent(Pinged.class, (p, ctx) -> handled.countDown()).build().start();
        MessageBus pub = MessageBus.builder("thrn-pub").instanceId("i1").transport(pubTransport)
                .produces(Pinged.class).build().start();
        List<String> unnamed = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                pub.publish(new Pinged(i)).get(10, TimeUnit.SECONDS);
            }
            assertTrue(handled.await(30, TimeUnit.SECONDS), "the events arrived");
            Set<String> started = new TreeSet<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!before.contains(t)) {
                    started.add(t.getName());
                    if (t.getName().matches("pool-\\d+-thread-\\d+")) {
                        unnamed.add(t.getName());
                    }
                }
            }
            assertEquals(List.of(), unnamed, "threads started by the buses: " + started);
            assertTrue(started.stream().anyMatch(n -> n.startsWith("courier-thrn-sink-i1-amqp-client-")), started.toString());
        } finally {
            pub.close();
            sink.close();
            Set<String> names = new TreeSet<>(sinkTransport.knownNames());
            names.addAll(pubTransport.knownNames());
            names.add(namespace + ".courier.dead-letter.thrn-sink");
            names.add(namespace + ".courier.dead-letter.thrn-pub");
            RabbitBroker.delete(names);
        }
    }
}
