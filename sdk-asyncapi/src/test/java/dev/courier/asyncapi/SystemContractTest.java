package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.courier.MessageBus;
import dev.courier.asyncapi.Shop.OrderAccepted;
import dev.courier.asyncapi.Shop.PlaceOrder;
import dev.courier.asyncapi.SystemContract.Gap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SystemContractTest {

    private final String transport = "memory:system-" + UUID.randomUUID();
    private final List<MessageBus> buses = new ArrayList<>();

    @AfterEach
    void close() {
        buses.forEach(MessageBus::close);
    }

    private AsyncApi api(MessageBus.Builder builder) {
        MessageBus bus = builder.build();
        buses.add(bus);
        return AsyncApi.of(bus);
    }

    private List<JsonNode> shop() {
        return List.of(
                api(Shop.ordering(transport)).replies(PlaceOrder.class, OrderAccepted.class).document(),
                api(Shop.storefront(transport)).replies(PlaceOrder.class, OrderAccepted.class).document(),
                api(Shop.payment(transport)).document());
    }

    @Test
    void theMergedDocumentSaysWhoSendsAndWhoReceivesEachMessage() {
        SystemContract system = SystemContract.of("shop", shop());
        JsonNode doc = system.document();
        Contracts.assertValid(doc);
        assertEquals("[\"ordering\",\"payment\",\"storefront\"]", doc.at("/info/x-courier-services").toString());
        JsonNode placed = doc.at("/components/messages/v1.order.placed");
        assertEquals("[\"ordering\"]", placed.path("x-courier-producers").toString());
        assertEquals("[\"payment\"]", placed.path("x-courier-consumers").toString());
        assertEquals("[\"storefront\"]", doc.at("/components/messages/v1.order.place/x-courier-producers").toString());
        assertEquals("[\"ordering\"]", doc.at("/components/messages/v1.order.place/x-courier-consumers").toString());
        assertEquals("send", doc.at("/operations/storefront.send.v1.order.place/action").asText());
        assertEquals("storefront", doc.at("/operations/storefront.send.v1.order.place/x-courier-service").asText());
        assertEquals("#/channels/ordering.reply.v1.order.place",
                doc.at("/operations/ordering.receive.v1.order.place/reply/channel/$ref").asText());
        assertEquals("#/channels/storefront.reply.v1.order.place",
                doc.at("/operations/storefront.send.v1.order.place/reply/channel/$ref").asText());
    }

    @Test
    void gapsAreMessagesWithOnlyOneSide() {
        List<Gap> gaps = SystemContract.of("shop", shop()).gaps();
        assertEquals(List.of(
                new Gap(Gap.Kind.NO_CONSUMER, "v1.order.cancelled", List.of("ordering")),
                new Gap(Gap.Kind.NO_CONSUMER, "v1.payment.refunded", List.of("payment")),
                new Gap(Gap.Kind.NO_PRODUCER, "v1.stock.reserve", List.of("payment"))), gaps);
        assertEquals("v1.stock.reserve is received by [payment] but no service sends it", gaps.get(2).toString());
    }

    @Test
    void documentsReadBackFromYamlMergeTheSame() throws Exception {
        List<JsonNode> read = new ArrayList<>();
        for (JsonNode d : shop()) {
            read.add(new YAMLMapper().readTree(AsyncApi.yaml(d)));
        }
        assertEquals(SystemContract.of("shop", shop()).document(), SystemContract.of("shop", read).document());
    }

    @Test
    void schemasThatDifferBetweenServicesAreKeptApart() {
        JsonNode ordering = shop().get(0);
        JsonNode other = ordering.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) other.at("/info")).put("x-courier-service", "legacy");
        ((com.fasterxml.jackson.databind.node.ObjectNode) other.at("/components/schemas/Line/properties"))
                .putObject("discount").put("type", "number");
        JsonNode doc = SystemContract.of("shop", ordering, other).document();
        Contracts.assertValid(doc);
        assertTrue(doc.at("/components/schemas/Line/properties/discount").isMissingNode());
        assertEquals("number", doc.at("/components/schemas/Line.legacy/properties/discount/type").asText());
    }

    @Test
    void twoDocumentsOfOneServiceAreAnError() {
        JsonNode ordering = shop().get(0);
        assertThrows(dev.courier.ConfigurationException.class, () -> SystemContract.of("shop", ordering, ordering));
    }
}
