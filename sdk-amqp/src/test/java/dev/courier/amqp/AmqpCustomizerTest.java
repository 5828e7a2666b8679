package dev.courier.amqp;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.NoOpMetricsCollector;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ConnectionFactory hook (issue 15): it runs, its settings reach the connections, Courier's own stay. */
class AmqpCustomizerTest {

    @BeforeAll
    static void broker() {
        RabbitBroker.uri();
    }

    @Test
    void theHookSetsAMetricsCollectorOnBothConnectionsButCannotTurnOnAutomaticRecovery() {
        AtomicInteger opened = new AtomicInteger();
        List<ConnectionFactory> seen = new CopyOnWriteArrayList<>();
        String namespace = "custz" + System.nanoTime() % 100000;
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().uri(RabbitBroker.uri()).namespace(namespace)
                .connectionFactory(f -> {
                    seen.add(f);
                    f.setAutomaticRecoveryEnabled(true); // Courier recovers itself: set back
                    f.setMetricsCollector(new NoOpMetricsCollector() {
                        @Override
                        public void newConnection(Connection connection) {
                            opened.incrementAndGet();
                        }
                    });
                }).build());
        try {
            t.start(new TransportContext("custz", "a", Duration.ofSeconds(10)));
            assertEquals(1, seen.size(), "called once, at start");
            assertEquals(2, opened.get(), "the collector saw the publishing and the consuming connection");
            assertFalse(seen.get(0).isAutomaticRecoveryEnabled(), "Courier's own recovery stays in charge");
        } finally {
            t.close();
            java.util.Set<String> names = new java.util.TreeSet<>(t.knownNames());
            names.add(namespace + ".courier.dead-letter.custz");
            RabbitBroker.delete(names);
        }
    }

    @Test
    void aHookThatThrowsFailsStart() {
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().uri(RabbitBroker.uri())
                .connectionFactory(f -> {
                    throw new IllegalStateException("bad customizer");
                }).build());
        dev.courier.ConfigurationException e = assertThrows(dev.courier.ConfigurationException.class,
                () -> t.start(new TransportContext("custz", "b", Duration.ofSeconds(10))));
        assertTrue(e.getMessage().contains("bad customizer"), e.getMessage());
        t.close();
    }
}
