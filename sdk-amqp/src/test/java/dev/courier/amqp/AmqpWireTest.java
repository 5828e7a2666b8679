package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.courier.ConfigurationException;
import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire contract, the configuration and the topology's declarations, against the real broker. */
class AmqpWireTest extends AmqpTestSupport {

    /** Reads an AMQP 0-9-1 message as a CloudEvent the way a binding of the CloudEvents SDK does. */
    static final class AmqpReader extends BaseGenericBinaryMessageReaderImpl<String, Object> {
        private final Map<String, Object> headers;

        AmqpReader(AMQP.BasicProperties p, byte[] body) {
            super(SpecVersion.parse(String.valueOf(p.getHeaders().get("cloudEvents_specversion"))),
                    BytesCloudEventData.wrap(body));
            this.headers = new HashMap<>(p.getHeaders());
            if (p.getContentType() != null) {
                headers.put("content_type", p.getContentType());
            }
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return "content_type".equals(key);
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return key.startsWith("cloudEvents_");
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return key.substring("cloudEvents_".length());
        }

        @Override
        protected void forEachHeader(BiConsumer<String, Object> fn) {
            headers.forEach(fn);
        }

        @Override
        protected String toCloudEventsValue(Object value) {
            return value.toString();
        }
    }

    @Test
    void aPublishedEventIsABinaryModeCloudEventThatTheCloudEventsSdkReads() throws Exception {
        MessageBus pub = start(bus("wire", transport()));
        String queue = ns + ".tap";
        try (Connection c = RabbitBroker.connect()) {
            Channel ch = c.createChannel();
            ch.queueDeclare(queue, false, false, true, null);
            ch.queueBind(queue, ns + ".courier.events", "v1.kit.pinged");
            pub.publish(new Pinged(5, "on the wire"), Map.of("tenant", "acme")).get(20, TimeUnit.SECONDS);
            GetResponse[] got = new GetResponse[1];
            Await.until(Duration.ofSeconds(10), () -> (got[0] = get(ch, queue)) != null, () -> "no message on the tap queue");
            AMQP.BasicProperties p = got[0].getProps();
            assertEquals(2, p.getDeliveryMode(), "persistent");
            assertEquals("application/json", p.getContentType());
            assertEquals(p.getMessageId(), p.getHeaders().get("cloudEvents_id").toString(), "message_id = id");
            assertEquals(p.getMessageId(), p.getCorrelationId(), "a root message correlates to itself");
            for (String k : p.getHeaders().keySet()) {
                assertTrue(k.startsWith("cloudEvents_"), "every header is a CloudEvents attribute: " + k);
            }
            CloudEvent ce = new AmqpReader(p, got[0].getBody()).toEvent();
            assertEquals("v1.kit.pinged", ce.getType());
            assertEquals(URI.create("wire"), ce.getSource());
            assertEquals(p.getMessageId(), ce.getId());
            assertEquals("application/json", ce.getDataContentType());
            assertNotNull(ce.getTime());
            assertEquals("acme", ce.getExtension("tenant"));
            assertEquals(p.getMessageId(), ce.getExtension("correlationid"));
            CloudEventData data = ce.getData();
            assertTrue(new String(data.toBytes(), StandardCharsets.UTF_8).contains("on the wire"));
            ch.queueDelete(queue);
        }
    }

    private static GetResponse get(Channel ch, String queue) {
        try {
            return ch.basicGet(queue, true);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void headersComeBackExactlyAsPublished() throws Exception {
        AmqpTransport t = transport();
        t.start(new dev.courier.spi.TransportContext("svc", "i1", Duration.ofSeconds(10)));
        CompletableFuture<Map<String, String>> got = new CompletableFuture<>();
        t.subscribe(Address.event("v1.kit.pinged"), "svc", 4, d -> {
            got.complete(d.headers());
            d.ack();
        });
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, "id-1");
        h.put(Headers.TYPE, "v1.kit.pinged");
        h.put(Headers.SOURCE, "x");
        h.put(Headers.SPECVERSION, "1.0");
        h.put(Headers.DATACONTENTTYPE, "application/json");
        h.put(Headers.TRACEPARENT, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        h.put("unicode", "é✓");
        t.publish(Address.event("v1.kit.pinged"), h, "{}".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        assertEquals(h, got.get(10, TimeUnit.SECONDS));
    }

    @Test
    void oversizedHeadersFailThePublishInsteadOfKillingTheConnection() throws Exception {
        AmqpTransport t = transport();
        t.start(new dev.courier.spi.TransportContext("svc", "i1", Duration.ofSeconds(10)));
        Map<String, String> h = new HashMap<>(Map.of(Headers.ID, "big", Headers.TYPE, "v1.kit.pinged"));
        h.put("huge", "x".repeat(200_000));
        CompletableFuture<Void> f = t.publish(Address.event("v1.kit.pinged"), h, new byte[0]);
        Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("frame"), e.toString());
        t.publish(Address.event("v1.kit.pinged"), Map.of(Headers.ID, "small"), new byte[0]).get(10, TimeUnit.SECONDS);
        assertTrue(t.isConnected());
    }

    @Test
    void theTransportStatesAmqpsOwnLimits() {
        AmqpTransport t = track(AmqpTransport.of(transportBuilder().maxMessageSize(1 << 20).build()));
        t.start(new dev.courier.spi.TransportContext("svc", "i1", Duration.ofSeconds(10)));
        dev.courier.spi.Limits l = t.limits();
        assertEquals(255, l.maxAttributeBytes(), "AMQP short strings");
        assertEquals(131_072 - 8 * 1024, l.maxHeadersBytes(), "RabbitMQ's frame_max, less room for the encoding");
        assertEquals(l.maxHeadersBytes(), l.maxHeaderValueBytes());
        assertEquals(1 << 20, l.maxBodyBytes(), "maxMessageSize");
    }

    @Test
    void aBodyOverMaxMessageSizeFailsThePublish() throws Exception {
        AmqpTransport t = track(AmqpTransport.of(transportBuilder().maxMessageSize(1024).build()));
        t.start(new dev.courier.spi.TransportContext("svc", "i1", Duration.ofSeconds(10)));
        CompletableFuture<Void> f = t.publish(Address.event("v1.kit.pinged"), Map.of(Headers.ID, "big"), new byte[1025]);
        Exception e = assertThrows(Exception.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("maxMessageSize"), e.toString());
        t.publish(Address.event("v1.kit.pinged"), Map.of(Headers.ID, "fits"), new byte[1024]).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aQueueTypeClashFailsStartNamingTheQueueAndTheArgument() {
        start(bus("clash", transport()).onEvent(Pinged.class, (e, ctx) -> { }));
        MessageBus quorum = bus("clash", track(AmqpTransport.of(transportBuilder().queueType(AmqpTransport.QueueType.QUORUM).build())))
                .onEvent(Pinged.class, (e, ctx) -> { }).build();
        buses.add(quorum);
        ConfigurationException e = assertThrows(ConfigurationException.class, quorum::start);
        assertTrue(e.getMessage().matches("(?s).*queue '" + ns + "\\.[a-z.-]*clash[a-z.0-9-]*'.*"), e.getMessage());
        assertTrue(e.getMessage().contains("x-queue-type"), e.getMessage());
    }

    @Test
    void quorumQueuesCarryEventsAndDelayedRedeliveries() {
        AmqpTransport t = track(AmqpTransport.of(transportBuilder().queueType(AmqpTransport.QueueType.QUORUM).build()));
        List<Integer> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();
        start(bus("qq", t).onEvent(Pinged.class, (e, ctx) -> {
            attempts.add(ctx.attempt());
            if (ctx.attempt() < 3) {
                throw new IllegalStateException("not yet");
            }
        }));
        MessageBus pub = start(bus("pub", transport()));
        pub.publish(new Pinged(1, "q")).join();
        Await.until(Duration.ofSeconds(20), () -> attempts.size() == 3, () -> "attempts " + attempts);
        assertEquals(List.of(1, 2, 3), attempts);
    }

    @Test
    void theProviderMakesAmqpUrisWorkWithOnlyTheDependency() {
        MessageBus b = MessageBus.builder("prov").transport(RabbitBroker.uri() + (RabbitBroker.uri().contains("?") ? "&" : "?")
                + "namespace=" + ns).build();
        buses.add(b);
        b.start();
        assertTrue(b.health().isHealthy(), b.health().toString());
        assertFalse(b.health().transport().contains("guest:"), "no credentials: " + b.health().transport());
        b.close();
        RabbitBroker.delete(List.of(ns + ".courier.events", ns + ".courier.commands", ns + ".courier.dead-letter.prov"));
    }

    @Test
    void buildReportsEveryBadSettingByName() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> AmqpTransport.of(AmqpConfig.builder()
                .uri("amqp://u:p@host:99999/v?prefetch=x&bogus=1").confirmWindow(0).maxMessageSize(-1)
                .namespace("bad name").heartbeat(Duration.ZERO).build()));
        String m = e.getMessage();
        for (String s : List.of("99999", "prefetch", "bogus", "confirmWindow", "maxMessageSize", "namespace", "heartbeat")) {
            assertTrue(m.contains(s), "names " + s + ": " + m);
        }
        assertFalse(m.contains(":p@"), "never the password: " + m);
    }

    @Test
    void uriPartsAreReadAndTheDescriptionHidesTheCredentials() {
        AmqpTransport t = AmqpTransport.of("amqps://app:s%40cret@rabbit-1,rabbit-2:5673/prod%2Feu?queueType=quorum"
                + "&confirmWindow=64&prefetch=10");
        AmqpConfig c = t.config();
        assertEquals(List.of("rabbit-1:5671", "rabbit-2:5673"), c.addresses());
        assertEquals("app", c.username());
        assertEquals("s@cret", c.password());
        assertEquals("prod/eu", c.virtualHost());
        assertTrue(c.tls());
        assertEquals(AmqpTransport.QueueType.QUORUM, c.queueType());
        assertEquals(64, c.confirmWindow());
        assertEquals(10, c.prefetch());
        assertEquals("rabbit-1:5671,rabbit-2:5673", t.host());
        assertEquals("amqp", t.protocol());
        assertFalse(t.describe().contains("cret") || t.toString().contains("cret"), t + " / " + t.describe());
        assertEquals("/", AmqpTransport.of("amqp://guest:guest@localhost:5672/").config().virtualHost());
    }

    @Test
    void wireAddressesNameExchangeRoutingKeyAndQueue() {
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().build());
        assertEquals(Map.of("exchange", "courier.events", "exchangeType", "topic", "routingKey", "v1.order.placed",
                "queue", "ordering.v1.order.placed", "queueType", "classic"),
                t.wireAddress(Address.event("v1.order.placed"), "ordering"));
        assertEquals("courier.command.v1.order.place", t.wireAddress(Address.command("v1.order.place"), null).get("queue"));
        assertEquals("", t.wireAddress(Address.event("v1.order.placed", "billing"), null).get("exchange"));
        assertEquals("billing.v1.order.placed", t.wireAddress(Address.event("v1.order.placed", "billing"), null).get("routingKey"));
        assertEquals("courier.dead-letter.ordering", t.wireAddress(Address.deadLetter("ordering"), null).get("queue"));
    }
}
