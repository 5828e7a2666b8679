package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilderBase;
import dev.courier.CourierException;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HiveMQ client-builder hook (issue 15): called for each client, its settings used, Courier's own kept. */
class MqttCustomizerTest {
    private static final MqttTestSupport SUPPORT = new MqttTestSupport(MqttConfig.Version.V5);
    private final List<String> namespaces = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void broker() {
        MqttBroker.uri();
    }

    @AfterEach
    void cleanUp() {
        namespaces.forEach(SUPPORT::deleteNamespace);
    }

    private String namespace() {
        String ns = "mqcust" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        namespaces.add(ns);
        return ns;
    }

    @Test
    void theHookIsCalledForEachClientAndItsListenersRunWhileCouriersIdentifierStays() {
        List<MqttClientBuilderBase<?>> builders = new CopyOnWriteArrayList<>();
        AtomicInteger connected = new AtomicInteger();
        List<String> identifiers = new CopyOnWriteArrayList<>();
        List<Boolean> autoReconnect = new CopyOnWriteArrayList<>();
        MqttTransport t = SUPPORT.newTransport(namespace(), b -> b.clientCustomizer(builder -> {
            builders.add(builder);
            builder.identifier("not-courier's"); // set back
            builder.automaticReconnectWithDefaultConfig(); // set back: Courier reconnects itself
            builder.addConnectedListener(ctx -> {
                connected.incrementAndGet();
                identifiers.add(ctx.getClientConfig().getClientIdentifier().map(Object::toString).orElse("?"));
                autoReconnect.add(ctx.getClientConfig().getAutomaticReconnect().isPresent());
            });
        }));
        try {
            t.start(new TransportContext("custsvc", "i1", Duration.ofSeconds(10)));
            assertTrue(builders.size() >= 1, "called for the client(s) it built: " + builders.size());
            assertEquals(builders.size(), connected.get(), "each customised client connected once");
            assertTrue(identifiers.stream().noneMatch(id -> id.equals("not-courier's")), "Courier's client ids: " + identifiers);
            assertTrue(autoReconnect.stream().noneMatch(on -> on), "automatic reconnect stays off: " + autoReconnect);
        } finally {
            t.close();
        }
    }

    @Test
    void aHookThatThrowsFailsStart() {
        MqttTransport t = SUPPORT.newTransport(namespace(), b -> b.clientCustomizer(builder -> {
            throw new IllegalStateException("bad customizer");
        }));
        try {
            RuntimeException e = assertThrows(RuntimeException.class,
                    () -> t.start(new TransportContext("custsvc", "i2", Duration.ofSeconds(10))));
            assertTrue(e instanceof IllegalStateException || e instanceof CourierException, e.toString());
        } finally {
            t.close();
        }
    }
}
