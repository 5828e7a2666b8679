package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.courier.MessageBus;
import dev.courier.asyncapi.Shop.OrderAccepted;
import dev.courier.asyncapi.Shop.OrderPlacedV1;
import dev.courier.asyncapi.Shop.PaymentRefunded;
import dev.courier.asyncapi.Shop.PlaceOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AsyncApiTest {

    private final String transport = "memory:asyncapi-" + UUID.randomUUID();
    private final List<MessageBus> buses = new ArrayList<>();

    @AfterEach
    void close() {
        buses.forEach(MessageBus::close);
    }

    private MessageBus bus(MessageBus.Builder builder) {
        MessageBus bus = builder.build();
        buses.add(bus);
        return bus;
    }

    private ObjectNode ordering() {
        return AsyncApi.of(bus(Shop.ordering(transport)))
                .version("1.2.0")
                .description("Takes orders.")
                .replies(PlaceOrder.class, OrderAccepted.class)
                .deprecated(OrderPlacedV1.class)
                .document();
    }

    @Test
    void everyServiceDocumentIsValidAsyncApi300() {
        Contracts.assertValid(ordering());
        Contracts.assertValid(AsyncApi.of(bus(Shop.storefront(transport)))
                .replies(PlaceOrder.class, OrderAccepted.class).document());
        Contracts.assertValid(AsyncApi.of(bus(Shop.payment(transport))).document());
        Contracts.assertValid(AsyncApi.of(bus(MessageBus.builder("empty").transport(transport))).document());
    }

    @Test
    void infoChannelsAndOperationsDescribeTheService() {
        JsonNode doc = ordering();
        assertEquals("3.0.0", doc.path("asyncapi").asText());
        assertEquals("ordering", doc.at("/info/title").asText());
        assertEquals("1.2.0", doc.at("/info/version").asText());
        assertEquals("Takes orders.", doc.at("/info/description").asText());
        assertTrue(doc.path("servers").isMissingNode(), "the memory transport has no host: no servers");

        assertEquals("event:v1.order.placed", doc.at("/channels/v1.order.placed/address").asText());
        assertEquals("event:v2.order.placed", doc.at("/channels/v2.order.placed/address").asText());
        assertEquals("command:v1.order.place", doc.at("/channels/v1.order.place/address").asText());
        assertEquals("send", doc.at("/operations/send.v1.order.placed/action").asText());
        assertEquals("send", doc.at("/operations/send.v2.order.placed/action").asText());
        assertEquals("receive", doc.at("/operations/receive.v1.order.place/action").asText());
        assertEquals("receive", doc.at("/operations/receive.v1.payment.captured/action").asText());
        assertEquals("#/channels/v1.payment.captured",
                doc.at("/operations/receive.v1.payment.captured/channel/$ref").asText());
        assertEquals("#/channels/v1.payment.captured/messages/v1.payment.captured",
                doc.at("/operations/receive.v1.payment.captured/messages/0/$ref").asText());
        assertEquals(List.of("receive.v1.order.place", "receive.v1.payment.captured", "send.v1.order.cancelled",
                "send.v1.order.placed", "send.v2.order.placed"), names(doc.path("operations")));
    }

    @Test
    void aDeclaredReplyIsTheOperationsReplyOnTheReplyToHeader() {
        JsonNode reply = ordering().at("/operations/receive.v1.order.place/reply");
        assertEquals("$message.header#/courierreplyto", reply.at("/address/location").asText());
        assertEquals("#/channels/reply.v1.order.place", reply.at("/channel/$ref").asText());
        assertEquals("#/channels/reply.v1.order.place/messages/reply.v1.order.accepted",
                reply.at("/messages/0/$ref").asText());
        JsonNode doc = ordering();
        JsonNode ok = doc.at("/components/messages/reply.v1.order.accepted");
        assertEquals("v1.order.accepted", ok.path("name").asText());
        assertEquals("ok", ok.at("/headers/properties/courierreplystatus/const").asText());
        JsonNode failed = doc.at("/components/messages/failed-reply.v1.order.place");
        assertEquals("v1.order.place.reply", failed.at("/headers/properties/type/const").asText());
        assertTrue(doc.at("/operations/send.v1.order.placed/reply").isMissingNode());

        JsonNode storefront = AsyncApi.of(bus(Shop.storefront(transport)))
                .replies(PlaceOrder.class, OrderAccepted.class).document();
        assertEquals("$message.header#/courierreplyto",
                storefront.at("/operations/send.v1.order.place/reply/address/location").asText());
    }

    @Test
    void repliesOfACommandTheServiceDoesNotUseIsAnError() {
        AsyncApi api = AsyncApi.of(bus(Shop.payment(transport)));
        dev.courier.ConfigurationException e = assertThrows(dev.courier.ConfigurationException.class,
                () -> api.replies(PlaceOrder.class, OrderAccepted.class));
        assertTrue(e.getMessage().contains("is not a message of the service 'payment'"), e.getMessage());
    }

    @Test
    void versionsAreTwoMessagesAndDeprecationIsMarked() {
        JsonNode messages = ordering().at("/components/messages");
        assertEquals("v1.order.placed", messages.at("/v1.order.placed/name").asText());
        assertEquals("v2.order.placed", messages.at("/v2.order.placed/name").asText());
        assertTrue(messages.at("/v1.order.placed/deprecated").asBoolean(), "deprecated(...) marks it");
        assertTrue(messages.at("/v1.order.cancelled/deprecated").asBoolean(), "@Deprecated marks it");
        assertTrue(messages.at("/v2.order.placed/deprecated").isMissingNode());
    }

    @Test
    void headersAreTheCloudEventsAttributesAndCorrelationPointsAtCorrelationid() {
        JsonNode doc = ordering();
        JsonNode m = doc.at("/components/messages/v1.order.placed");
        assertEquals("#/components/correlationIds/correlationid", m.at("/correlationId/$ref").asText());
        assertEquals("$message.header#/correlationid", doc.at("/components/correlationIds/correlationid/location").asText());
        JsonNode headers = m.path("headers");
        for (String name : List.of("id", "source", "type", "time", "specversion", "datacontenttype",
                "correlationid", "causationid", "traceparent")) {
            assertFalse(headers.at("/properties/" + name).isMissingNode(), name);
        }
        assertEquals("v1.order.placed", headers.at("/properties/type/const").asText());
        assertEquals("1.0", headers.at("/properties/specversion/const").asText());
        assertTrue(headers.at("/properties/courierreplyto").isMissingNode(), "events are never requests");
        assertFalse(doc.at("/components/messages/v1.order.place/headers/properties/courierreplyto").isMissingNode());
    }

    @Test
    void payloadSchemasFollowTheJavaTypes() {
        JsonNode doc = ordering();
        JsonNode v1 = doc.at("/components/messages/v1.order.placed/payload");
        List<String> required = new ArrayList<>();
        v1.path("required").forEach(n -> required.add(n.asText()));
        assertTrue(required.containsAll(List.of("orderId", "customer", "lines", "status", "placedAt", "total")), required.toString());
        assertFalse(required.contains("couponCode"), "Optional is not required");
        assertEquals("date-time", v1.at("/properties/placedAt/format").asText());
        assertEquals("array", v1.at("/properties/lines/type").asText());
        assertEquals("#/components/schemas/Status", v1.at("/properties/status/$ref").asText());
        assertEquals("[\"NEW\",\"PAID\",\"SHIPPED\"]", doc.at("/components/schemas/Status/enum").toString());
        assertEquals(List.of("orderId", "customer", "lines", "status", "placedAt", "couponCode", "total"),
                names(v1.path("properties")), "declaration order");
        JsonNode v2 = doc.at("/components/messages/v2.order.placed/payload");
        assertFalse(v2.at("/properties/total_cents").isMissingNode(), "@JsonProperty names the field");
        assertEquals("date", v2.at("/properties/deliveryDate/format").asText());
        assertEquals("uuid", v2.at("/properties/orderId/format").asText());
        assertEquals("#/components/schemas/PostalAddress", v2.at("/properties/billing/$ref").asText(),
                "a type used twice is one shared schema");
        assertFalse(doc.at("/components/schemas/PostalAddress/properties/city").isMissingNode());
    }

    @Test
    void jsonAndYamlAreTheSameDocumentAndStable() throws Exception {
        AsyncApi api = AsyncApi.of(bus(Shop.ordering(transport))).replies(PlaceOrder.class, OrderAccepted.class);
        JsonNode doc = api.document();
        assertEquals(doc, Contracts.MAPPER.readTree(api.toJson()));
        String yaml = api.toYaml();
        assertEquals(doc, new YAMLMapper().readTree(yaml));
        assertTrue(yaml.startsWith("asyncapi: 3.0.0\n"), yaml.substring(0, 40));
        assertEquals(yaml, api.toYaml());
    }

    @Test
    void aTypePublishedWithoutBeingDeclaredIsMissingFromTheDocument() {
        JsonNode doc = AsyncApi.of(bus(Shop.ordering(transport))).document();
        assertTrue(doc.at("/components/messages/" + PaymentRefunded.class.getAnnotation(dev.courier.MessageName.class)
                .value()).isMissingNode());
    }

    private static List<String> names(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
