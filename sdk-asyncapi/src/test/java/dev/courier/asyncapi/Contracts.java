package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Validates documents against the official AsyncAPI 3.0.0 JSON Schema, offline: the bundled schema's
 * definitions carry their own $id, and each one is registered with the validator under it, so no
 * reference is ever fetched. Draft-07 itself ships inside the validator.
 */
final class Contracts {
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String ROOT = "http://asyncapi.com/definitions/3.0.0/asyncapi.json";
    private static final Schema ASYNCAPI = load();

    private Contracts() {
    }

    private static Schema load() {
        try (InputStream in = Contracts.class.getResourceAsStream("/asyncapi/3.0.0.json")) {
            JsonNode bundle = MAPPER.readTree(in);
            Map<String, String> byId = new HashMap<>();
            bundle.get("definitions").fields().forEachRemaining(e -> byId.put(e.getKey(), e.getValue().toString()));
            byId.put(ROOT, bundle.toString());
            SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
                    b -> b.schemas(byId::get));
            return registry.getSchema(SchemaLocation.of(ROOT));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fails with every error when {@code doc} is not a valid AsyncAPI 3.0.0 document or has a dangling $ref. */
    static void assertValid(JsonNode doc) {
        List<Error> errors = ASYNCAPI.validate(doc);
        if (!errors.isEmpty()) {
            fail("not a valid AsyncAPI 3.0.0 document:\n" + String.join("\n", errors.stream().map(Error::toString).toList())
                    + "\n" + AsyncApi.json(doc));
        }
        List<String> dangling = new ArrayList<>();
        refs(doc, doc, dangling);
        assertTrue(dangling.isEmpty(), "dangling $refs: " + dangling);
    }

    private static void refs(JsonNode root, JsonNode node, List<String> dangling) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual() && ref.asText().startsWith("#")) {
                if (root.at(ref.asText().substring(1)).isMissingNode()) {
                    dangling.add(ref.asText());
                }
            }
            for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
                refs(root, it.next(), dangling);
            }
        } else if (node.isArray()) {
            node.forEach(n -> refs(root, n, dangling));
        }
    }

    /**
     * The payload schema of message {@code key} inside {@code doc}, with its references into the
     * document's components (only those are registered: the document itself is not a JSON Schema).
     */
    static Schema payloadSchema(JsonNode doc, String key) {
        String base = "https://courier.test/contract.json";
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7,
                b -> b.schemas(Map.of(base, MAPPER.createObjectNode().set("components", doc.get("components")).toString())));
        return registry.getSchema(SchemaLocation.of(base + "#/components/messages/" + key + "/payload"));
    }
}
