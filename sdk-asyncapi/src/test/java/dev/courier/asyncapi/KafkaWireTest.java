package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.MessageBus;
import dev.courier.asyncapi.Shop.OrderAccepted;
import dev.courier.asyncapi.Shop.PlaceOrder;
import dev.courier.memory.InMemoryTransportProvider;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import dev.courier.spi.WireDescription;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A transport that says {@code kafka} gets a Kafka server, topic channels and Kafka bindings (0.5.0). */
class KafkaWireTest {

    @Test
    void aKafkaTransportGivesTopicsAndConsumerGroupBindings() {
        JsonNode doc;
        try (MessageBus bus = Shop.ordering("memory:unused").transport(new KafkaShaped()).build()) {
            doc = AsyncApi.of(bus).replies(PlaceOrder.class, OrderAccepted.class).document();
        }
        Contracts.assertValid(doc);
        assertEquals("kafka", doc.at("/servers/kafka/protocol").asText());
        assertEquals("k1:9092,k2:9092", doc.at("/servers/kafka/host").asText());
        JsonNode out = doc.at("/channels/v1.order.placed");
        assertEquals("courier.event.v1.order.placed", out.path("address").asText());
        assertEquals("courier.event.v1.order.placed", out.at("/bindings/kafka/topic").asText());
        assertEquals("0.5.0", out.at("/bindings/kafka/bindingVersion").asText());
        JsonNode receive = doc.at("/operations/receive.v1.payment.captured");
        assertEquals("courier.ordering", receive.at("/bindings/kafka/groupId/enum/0").asText());
        assertEquals("string", receive.at("/bindings/kafka/groupId/type").asText());
    }

    /** The in-memory transport dressed as Kafka: the wire map the Kafka transport reports. */
    private static final class KafkaShaped implements Transport, WireDescription {
        private final Transport memory = new InMemoryTransportProvider().create(URI.create("memory:kafka-shaped"));

        @Override
        public String protocol() {
            return "kafka";
        }

        @Override
        public String host() {
            return "k1:9092,k2:9092";
        }

        @Override
        public Map<String, String> wireAddress(Address address, String group) {
            String topic = "courier." + address.kind().name().toLowerCase(java.util.Locale.ROOT) + "." + address.name();
            Map<String, String> m = new LinkedHashMap<>();
            m.put("topic", topic);
            if (group != null) {
                m.put("groupId", "courier." + group);
            }
            return m;
        }

        @Override
        public void start(TransportContext context) {
            memory.start(context);
        }

        @Override
        public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
            return memory.publish(to, headers, body);
        }

        @Override
        public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
            return memory.subscribe(address, group, prefetch, callback);
        }

        @Override
        public boolean isConnected() {
            return memory.isConnected();
        }

        @Override
        public Set<Capability> capabilities() {
            return memory.capabilities();
        }

        @Override
        public String describe() {
            return "kafka://k1:9092,k2:9092";
        }

        @Override
        public void close() {
            memory.close();
        }
    }
}
