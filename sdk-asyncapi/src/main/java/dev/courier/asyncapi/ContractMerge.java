package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.asyncapi.SystemContract.Gap;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How a {@link SystemContract} is made: one pass per service document collects its servers,
 * channels, operations, messages and schemas (deduplicated by name), the producers and consumers of
 * each message, then writes the merged document and the {@link SystemContract.Gap}s. Internal.
 */
final class ContractMerge {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final String title;
    private final Set<String> services = new TreeSet<>();
    private final Map<String, JsonNode> servers = new TreeMap<>();
    private final Map<String, JsonNode> channels = new TreeMap<>();
    private final Map<String, JsonNode> operations = new TreeMap<>();
    private final Map<String, ObjectNode> messages = new TreeMap<>();
    private final Set<String> fromProducer = new TreeSet<>();
    private final Map<String, JsonNode> schemas = new TreeMap<>();
    private final Map<String, JsonNode> correlationIds = new TreeMap<>();
    private final Map<String, Set<String>> producers = new TreeMap<>();
    private final Map<String, Set<String>> consumers = new TreeMap<>();

    ContractMerge(String title) {
        this.title = title;
    }

    SystemContract run(Collection<? extends JsonNode> documents) {
        for (JsonNode source : documents) {
            add(source.deepCopy());
        }
        List<Gap> gaps = new ArrayList<>();
        Set<String> names = new TreeSet<>(producers.keySet());
        names.addAll(consumers.keySet());
        for (String name : names) {
            Set<String> out = producers.getOrDefault(name, Set.of());
            Set<String> in = consumers.getOrDefault(name, Set.of());
            if (in.isEmpty()) {
                gaps.add(new Gap(Gap.Kind.NO_CONSUMER, name, List.copyOf(out)));
            } else if (out.isEmpty()) {
                gaps.add(new Gap(Gap.Kind.NO_PRODUCER, name, List.copyOf(in)));
            }
        }
        return new SystemContract(document(gaps), List.copyOf(gaps));
    }

    private void add(JsonNode doc) {
        String service = text(doc.at("/info/x-courier-service"), text(doc.at("/info/title"), null));
        if (service == null || service.isBlank()) {
            throw new dev.courier.ConfigurationException("a document names no service: it has neither"
                    + " info.x-courier-service nor info.title");
        }
        if (!services.add(service)) {
            throw new dev.courier.ConfigurationException("two documents are for the service '" + service + "'");
        }
        Map<String, String> renames = new LinkedHashMap<>();
        doc.path("components").path("schemas").fields().forEachRemaining(e ->
                place(schemas, e.getKey(), e.getValue(), service, "#/components/schemas/", renames, false));
        doc.path("channels").fields().forEachRemaining(e ->
                place(channels, e.getKey(), e.getValue(), service, "#/channels/", renames,
                        !e.getKey().matches("v[0-9].*")));
        rewriteRefs(doc, renames);
        doc.path("servers").fields().forEachRemaining(e -> servers.putIfAbsent(
                equalOrAbsent(servers, e.getKey(), e.getValue()) ? e.getKey() : service + "." + e.getKey(),
                e.getValue()));
        doc.path("components").path("correlationIds").fields().forEachRemaining(e ->
                correlationIds.putIfAbsent(e.getKey(), e.getValue()));
        Set<String> sends = new TreeSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("operations").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            ObjectNode op = (ObjectNode) e.getValue();
            op.put("x-courier-service", service);
            operations.put(service + "." + e.getKey(), op);
            boolean send = "send".equals(op.path("action").asText());
            for (JsonNode ref : op.path("messages")) {
                String name = messageName(doc, ref);
                (send ? producers : consumers).computeIfAbsent(name, k -> new TreeSet<>()).add(service);
                if (send) {
                    sends.add(name);
                }
            }
        }
        doc.path("components").path("messages").fields().forEachRemaining(e -> {
            // the producer's view of a message wins over a consumer's (which may be an older, smaller reading)
            boolean producer = sends.contains(text(e.getValue().path("name"), e.getKey()));
            if (!messages.containsKey(e.getKey()) || (producer && fromProducer.add(e.getKey()))) {
                messages.put(e.getKey(), (ObjectNode) e.getValue());
                if (producer) {
                    fromProducer.add(e.getKey());
                }
            }
        });
    }

    /** Puts {@code value} under its key, or under a service-prefixed key when it differs; records renames. */
    private static void place(Map<String, JsonNode> into, String key, JsonNode value, String service,
                              String pointer, Map<String, String> renames, boolean alwaysPrefix) {
        String target = key;
        if (alwaysPrefix) {
            target = service + "." + key;
        } else if (!equalOrAbsent(into, key, value)) {
            target = key + "." + service;
        }
        into.put(target, value);
        if (!target.equals(key)) {
            renames.put(pointer + key, pointer + target);
        }
    }

    private static boolean equalOrAbsent(Map<String, JsonNode> map, String key, JsonNode value) {
        JsonNode known = map.get(key);
        return known == null || known.equals(value);
    }

    private static void rewriteRefs(JsonNode node, Map<String, String> renames) {
        if (renames.isEmpty()) {
            return;
        }
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null && ref.isTextual()) {
                String r = ref.asText();
                for (Map.Entry<String, String> e : renames.entrySet()) {
                    if (r.equals(e.getKey()) || r.startsWith(e.getKey() + "/")) {
                        ((ObjectNode) node).put("$ref", e.getValue() + r.substring(e.getKey().length()));
                        break;
                    }
                }
            }
            node.elements().forEachRemaining(n -> rewriteRefs(n, renames));
        } else if (node.isArray()) {
            node.forEach(n -> rewriteRefs(n, renames));
        }
    }

    /** Follows {@code ref} (operation → channel message → component message) to the message's name. */
    private static String messageName(JsonNode doc, JsonNode ref) {
        JsonNode node = ref;
        String last = null;
        for (int hops = 0; hops < 8 && node.has("$ref"); hops++) {
            String pointer = node.get("$ref").asText();
            last = pointer.substring(pointer.lastIndexOf('/') + 1);
            node = pointer.startsWith("#") ? doc.at(pointer.substring(1)) : JSON.missingNode();
        }
        return text(node.path("name"), last != null ? last : "unknown");
    }

    private ObjectNode document(List<Gap> gaps) {
        ObjectNode doc = JSON.objectNode();
        doc.put("asyncapi", DocumentBuilder.ASYNCAPI_VERSION);
        doc.put("id", "urn:courier:system:" + title.replaceAll("[^A-Za-z0-9.-]", "-"));
        ObjectNode info = doc.putObject("info");
        info.put("title", title).put("version", AsyncApi.DEFAULT_VERSION);
        info.put("description", "The system '" + title + "': the services " + String.join(", ", services)
                + ", merged by Courier from their own contracts. "
                + (gaps.isEmpty() ? "Every message sent is received, and every message received is sent."
                : gaps.size() + " message(s) have a producer but no consumer, or the reverse: see x-courier-gaps."));
        ArrayNode names = info.putArray("x-courier-services");
        services.forEach(names::add);
        ArrayNode gapNodes = info.putArray("x-courier-gaps");
        for (Gap gap : gaps) {
            ObjectNode g = gapNodes.addObject().put("kind", gap.kind().name()).put("message", gap.message());
            gap.services().forEach(g.putArray("services")::add);
        }
        if (!servers.isEmpty()) {
            doc.set("servers", object(servers));
        }
        doc.put("defaultContentType", "application/json");
        doc.set("channels", object(channels));
        doc.set("operations", object(operations));
        ObjectNode components = doc.putObject("components");
        ObjectNode msgs = components.putObject("messages");
        messages.forEach((key, m) -> {
            String name = text(m.path("name"), key);
            m.set("x-courier-producers", array(producers.get(name)));
            m.set("x-courier-consumers", array(consumers.get(name)));
            msgs.set(key, m);
        });
        if (!schemas.isEmpty()) {
            components.set("schemas", object(schemas));
        }
        if (!correlationIds.isEmpty()) {
            components.set("correlationIds", object(correlationIds));
        }
        return doc;
    }

    private static ArrayNode array(Set<String> values) {
        ArrayNode a = JSON.arrayNode();
        if (values != null) {
            values.forEach(a::add);
        }
        return a;
    }

    private static ObjectNode object(Map<String, ? extends JsonNode> entries) {
        ObjectNode o = JSON.objectNode();
        entries.forEach(o::set);
        return o;
    }

    private static String text(JsonNode node, String otherwise) {
        return node != null && node.isTextual() && !node.asText().isBlank() ? node.asText() : otherwise;
    }
}
