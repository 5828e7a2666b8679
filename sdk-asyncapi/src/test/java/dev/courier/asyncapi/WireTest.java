package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.MessageBus;
import dev.courier.asyncapi.Shop.OrderAccepted;
import dev.courier.asyncapi.Shop.PlaceOrder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Servers, channel addresses and bindings come from what the transport says about its wire. */
class WireTest {

    private static JsonNode document(String host) {
        try (MessageBus bus = Shop.ordering("memory:unused").transport(new AmqpShapedTransport(host)).build()) {
            return AsyncApi.of(bus).replies(PlaceOrder.class, OrderAccepted.class).document();
        }
    }

    @Test
    void anAmqpTransportGivesAServerRoutingKeysQueuesAndBindings() {
        JsonNode doc = document("rabbit-1:5672,rabbit-2:5672/prod");
        Contracts.assertValid(doc);
        assertEquals("rabbit-1:5672,rabbit-2:5672", doc.at("/servers/amqp/host").asText());
        assertEquals("/prod", doc.at("/servers/amqp/pathname").asText());
        assertEquals("amqp", doc.at("/servers/amqp/protocol").asText());
        assertEquals("0.9.1", doc.at("/servers/amqp/protocolVersion").asText());

        JsonNode out = doc.at("/channels/v1.order.placed");
        assertEquals("v1.order.placed", out.path("address").asText());
        assertEquals("routingKey", out.at("/bindings/amqp/is").asText());
        assertEquals("courier.events", out.at("/bindings/amqp/exchange/name").asText());
        assertEquals("topic", out.at("/bindings/amqp/exchange/type").asText());
        assertEquals("0.3.0", out.at("/bindings/amqp/bindingVersion").asText());

        JsonNode in = doc.at("/channels/consumer.v1.payment.captured");
        assertEquals("ordering.v1.payment.captured", in.path("address").asText(), "a consumer reads its own queue");
        assertEquals("queue", in.at("/bindings/amqp/is").asText());
        assertEquals("ordering.v1.payment.captured", in.at("/bindings/amqp/queue/name").asText());
        assertEquals("quorum", in.at("/x-courier-wire/queueType").asText());
        assertEquals("#/channels/consumer.v1.payment.captured",
                doc.at("/operations/receive.v1.payment.captured/channel/$ref").asText());

        JsonNode command = doc.at("/channels/v1.order.place");
        assertEquals("courier.commands", command.at("/bindings/amqp/exchange/name").asText());
        assertEquals("command.v1.order.place", command.at("/x-courier-wire/queue").asText());
    }

    @Test
    void credentialsNeverReachTheDocumentEvenIfAHostLeaksThem() {
        JsonNode doc = document("guest:s3cret@rabbit:5672");
        assertEquals("rabbit:5672", doc.at("/servers/amqp/host").asText());
        assertFalse(doc.toString().contains("s3cret"));
        assertTrue(doc.toString().contains("rabbit:5672"));
    }

    @Test
    void theRealAmqpTransportDescribesItsExchangesAndQueues() {
        // built, never started: the document needs no broker
        try (MessageBus bus = Shop.ordering("amqp://guest:s3cret@rabbit.example:5672/shop").build()) {
            JsonNode doc = AsyncApi.of(bus).replies(PlaceOrder.class, OrderAccepted.class).document();
            Contracts.assertValid(doc);
            assertEquals("amqp", doc.at("/servers/amqp/protocol").asText());
            assertFalse(doc.toString().contains("s3cret"), "no credentials");
            assertTrue(doc.at("/servers/amqp/host").asText().contains("rabbit.example"), doc.at("/servers").toString());
            assertEquals("routingKey", doc.at("/channels/v1.order.placed/bindings/amqp/is").asText());
            assertEquals("v1.order.placed", doc.at("/channels/v1.order.placed/address").asText());
            assertEquals("queue", doc.at("/channels/consumer.v1.payment.captured/bindings/amqp/is").asText());
            assertFalse(doc.at("/channels/consumer.v1.payment.captured/x-courier-wire/queue").asText().isEmpty());
        }
    }
}
