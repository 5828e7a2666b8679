package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.asyncapi.Shop.OrderAccepted;
import dev.courier.asyncapi.Shop.PlaceOrder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each generated payload schema accepts a real instance serialized by the bus's own codec, and
 * rejects the same instance with a field of the wrong type or a required field missing.
 */
class PayloadSchemaTest {

    private static final List<MessageBus> BUSES = new ArrayList<>();
    private static final List<JsonNode> DOCS = new ArrayList<>();
    private static ObjectMapper codec;

    @BeforeAll
    static void documents() {
        String transport = "memory:payloads-" + UUID.randomUUID();
        for (MessageBus.Builder b : List.of(Shop.ordering(transport), Shop.storefront(transport), Shop.payment(transport))) {
            MessageBus bus = b.build();
            BUSES.add(bus);
            AsyncApi api = AsyncApi.of(bus);
            if (!bus.service().equals("payment")) {
                api.replies(PlaceOrder.class, OrderAccepted.class);
            }
            DOCS.add(api.document());
        }
        codec = ((dev.courier.spi.JsonPayloadCodec) BUSES.get(0).description().codec()).mapper();
    }

    @AfterAll
    static void close() {
        BUSES.forEach(MessageBus::close);
    }

    @Test
    void everySchemaAcceptsARealInstanceAndRejectsAWrongFieldType() {
        for (Object sample : Shop.samples()) {
            String name = sample.getClass().getAnnotation(MessageName.class).value();
            String key = sample instanceof OrderAccepted ? "reply." + name : name;
            JsonNode doc = DOCS.stream().filter(d -> d.at("/components/messages/" + key).isObject()).findFirst()
                    .orElseThrow(() -> new AssertionError("no document describes " + key));
            Schema schema = Contracts.payloadSchema(doc, key);
            ObjectNode instance = codec.valueToTree(sample);

            List<Error> errors = schema.validate(instance);
            assertTrue(errors.isEmpty(), key + " rejects a real instance " + instance + ": " + errors);

            for (Iterator<String> it = instance.fieldNames(); it.hasNext(); ) {
                String field = it.next();
                ObjectNode wrong = instance.deepCopy();
                JsonNode value = instance.get(field);
                wrong.set(field, value.isTextual() || value.isNull() ? IntNode.valueOf(42) : TextNode.valueOf("not-this-type"));
                assertFalse(schema.validate(wrong).isEmpty(), key + " accepts " + field + " = " + wrong.get(field));
            }
        }
    }

    @Test
    void aMissingRequiredFieldIsRejectedAndAMissingOptionalOneIsNot() {
        JsonNode doc = DOCS.get(0);
        Schema v1 = Contracts.payloadSchema(doc, "v1.order.placed");
        ObjectNode order = codec.valueToTree(Shop.samples()[0]);
        assertTrue(order.get("couponCode").isNull(), "Optional.empty() is written as null");
        assertTrue(v1.validate(order.deepCopy().without("couponCode")).isEmpty());
        assertFalse(v1.validate(order.deepCopy().without("orderId")).isEmpty());
        order.put("couponCode", "SPRING");
        assertTrue(v1.validate(order).isEmpty());

        Schema v2 = Contracts.payloadSchema(doc, "v2.order.placed");
        ObjectNode v2order = codec.valueToTree(Shop.samples()[1]);
        ((ObjectNode) v2order.get("billing")).put("city", 7);
        assertEquals(1, v2.validate(v2order).size(), "nested types are checked too: " + v2.validate(v2order));
        ObjectNode badEnum = codec.valueToTree(Shop.samples()[0]);
        badEnum.put("status", "LOST");
        assertFalse(v1.validate(badEnum).isEmpty(), "enum values are checked");
        ObjectNode badLines = codec.valueToTree(Shop.samples()[0]);
        badLines.set("lines", codec.createArrayNode().add(Map.of("sku", "x").toString()));
        assertFalse(v1.validate(badLines).isEmpty(), "list items are checked");
    }
}
