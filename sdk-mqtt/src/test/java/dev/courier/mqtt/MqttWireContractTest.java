package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import dev.courier.MessageBus;
import dev.courier.PublishException;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a plain MQTT client (here the raw HiveMQ client, standing in for mosquitto_sub) sees of Courier's
 * messages, and the URI path a user takes: {@code MessageBus.builder(...).transport("mqtt://...")}.
 */
class MqttWireContractTest {
    private final MqttTestSupport v5 = new MqttTestSupport(MqttConfig.Version.V5);
    private final MqttTestSupport v3 = new MqttTestSupport(MqttConfig.Version.V3_1_1);
    private String ns;

    @BeforeEach
    void setUp() {
        MqttBroker.uri();
        ns = "cw" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    @AfterEach
    void tearDown() {
        v5.deleteNamespace(ns);
        v3.deleteNamespace(ns + "v3");
    }

    @Test
    void mqtt5MessagesAreBinaryCloudEventsWithUserProperties() throws Exception {
        Mqtt5AsyncClient plain = Mqtt5Client.builder().identifier(ns + "-plain").serverHost(MqttBroker.uri().getHost())
                .serverPort(MqttBroker.uri().getPort()).buildAsync();
        CompletableFuture<Mqtt5Publish> got = new CompletableFuture<>();
        plain.publishes(MqttGlobalPublishFilter.ALL, got::complete);
        plain.connect().get(10, TimeUnit.SECONDS);
        try {
            plain.subscribeWith().topicFilter(ns + "/v1/kit/pinged").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
            try (MessageBus bus = MessageBus.builder("pub").transport(v5.newTransport(ns)).produces(Pinged.class).build()) {
                bus.start();
                bus.publish(new Pinged(7, "hi"), Map.of("tenant", "t1")).get(10, TimeUnit.SECONDS);
            }
            Mqtt5Publish p = got.get(10, TimeUnit.SECONDS);
            Map<String, String> props = new HashMap<>();
            p.getUserProperties().asList().forEach(u -> props.put(u.getName().toString(), u.getValue().toString()));
            assertEquals("v1.kit.pinged", props.get(Headers.TYPE));
            assertEquals("1.0", props.get(Headers.SPECVERSION));
            assertEquals("pub", props.get(Headers.SOURCE));
            assertEquals("t1", props.get("tenant"));
            assertTrue(props.containsKey(Headers.ID) && props.containsKey(Headers.TIME));
            assertEquals("application/json", p.getContentType().orElseThrow().toString());
            assertEquals("{\"n\":7,\"text\":\"hi\"}", new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8));
        } finally {
            plain.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void mqtt311MessagesAreStructuredCloudEvents() throws Exception {
        String prefix = ns + "v3";
        Mqtt3AsyncClient plain = Mqtt3Client.builder().identifier(ns + "-plain3").serverHost(MqttBroker.uri().getHost())
                .serverPort(MqttBroker.uri().getPort()).buildAsync();
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        plain.publishes(MqttGlobalPublishFilter.ALL, p -> got.complete(p.getPayloadAsBytes()));
        plain.connect().get(10, TimeUnit.SECONDS);
        try {
            plain.subscribeWith().topicFilter(prefix + "/v1/kit/pinged").qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
            try (MessageBus bus = MessageBus.builder("pub").transport(v3.newTransport(prefix)).produces(Pinged.class).build()) {
                bus.start();
                bus.publish(new Pinged(7, "hi")).get(10, TimeUnit.SECONDS);
            }
            String json = new String(got.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            assertTrue(json.contains("\"type\":\"v1.kit.pinged\"") && json.contains("\"specversion\":\"1.0\"")
                    && json.contains("\"data\":{\"n\":7,\"text\":\"hi\"}"), json);
        } finally {
            plain.disconnect().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void deadLetterWithoutItsSessionFailsInsteadOfVanishing() throws Exception {
        MqttTransport t = v5.newTransport(ns);
        t.start(new TransportContext("lost", "i1", Duration.ofSeconds(5)));
        try {
            DeadLetterStore.endSession(t.config(), DeadLetterStore.clientId(t.config(), "lost")).get(10, TimeUnit.SECONDS);
            Map<String, String> h = Map.of(Headers.ID, "x", Headers.TYPE, "v1.kit.pinged");
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> t.publish(Address.deadLetter("lost"), h, new byte[] {'{', '}'}).get(10, TimeUnit.SECONDS));
            assertInstanceOf(PublishException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("no matching subscribers"), e.getCause().getMessage());
        } finally {
            t.close();
        }
    }

    @Test
    void theUriIsAllItTakes() throws Exception {
        String uri = MqttBroker.uri() + "?prefix=" + ns + "&clientId=" + ns + "&sessionExpiry=PT1M";
        try (MessageBus bus = MessageBus.builder("viauri").instanceId("u1").transport(uri).produces(Pinged.class)
                .onEvent(Pinged.class, (e, ctx) -> { }).build()) {
            bus.start();
            assertTrue(bus.health().isHealthy(), bus.health().toString());
            assertTrue(bus.health().transport().startsWith("mqtt://"), bus.health().transport());
        }
        MqttTestSupport.purge(MqttConfig.fromUri(uri), "viauri", ns + ":viauri:u1");
    }
}
