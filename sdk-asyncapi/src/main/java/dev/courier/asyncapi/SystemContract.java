package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One AsyncAPI 3.0.0 document for a whole system, merged from its services' documents (as written
 * by {@link AsyncApi}, or read back from their files), and the {@link #gaps()} that break a
 * choreography silently: messages sent that no service handles, and messages handled that no
 * service sends.
 *
 * <pre>{@code
 * SystemContract system = SystemContract.of("shop", List.of(ordering, payment, shipping));
 * system.gaps().forEach(gap -> log.warn("{}", gap));
 * Files.writeString(Path.of("system.asyncapi.yaml"), system.toYaml());
 * }</pre>
 *
 * <p>In the merged document every operation id is prefixed with its service
 * ({@code ordering.send.v1.order.placed}) and carries {@code x-courier-service}; each message lists
 * {@code x-courier-producers} and {@code x-courier-consumers}. Channels and schemas that two services
 * describe identically are kept once; where they differ, the later one gets the service as a prefix.
 * A service is named by {@code info.x-courier-service}, else {@code info.title}. A message is known
 * by its {@code name}, so {@code v1} and {@code v2} of a message are separate. Replies are not
 * counted: they travel to an address the requester chooses at run time.
 */
public final class SystemContract {

    /** A message that only one side of the conversation knows about. */
    public record Gap(Kind kind, String message, List<String> services) {

        /** Which side is missing. */
        public enum Kind {
            /** Sent or published, but no service receives it. */
            NO_CONSUMER,
            /** Received by a handler, but no service sends or publishes it. */
            NO_PRODUCER
        }

        /**
         * Copies {@code services}.
         *
         * @param kind which side is missing; never null
         * @param message the message name; never null
         * @param services the services on the side that exists; copied
         */
        public Gap {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(message, "message");
            services = List.copyOf(services);
        }

        @Override
        public String toString() {
            return kind == Kind.NO_CONSUMER
                    ? message + " is sent by " + services + " but no service receives it"
                    : message + " is received by " + services + " but no service sends it";
        }
    }

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ObjectNode document;
    private final List<Gap> gaps;

    private SystemContract(ObjectNode document, List<Gap> gaps) {
        this.document = document;
        this.gaps = gaps;
    }

    /**
     * Merges {@code documents}, one per service, into the system called {@code title}.
     *
     * @param title the system's name, not blank
     * @param documents the services' AsyncAPI documents (from {@link AsyncApi#document()}), none changed
     * @return the merged contract
     * @throws dev.courier.ConfigurationException when the title is blank, a document names no service or two name the same one
     */
    public static SystemContract of(String title, JsonNode... documents) {
        return of(title, List.of(documents));
    }

    /**
     * Merges {@code documents}, one per service, into the system called {@code title}.
     *
     * @throws dev.courier.ConfigurationException when a document names no service or two name the same one
     * @param title the system's name, not blank
     * @param documents the services' AsyncAPI documents (from {@link AsyncApi#document()}), none changed
     * @return the merged contract
     */
    public static SystemContract of(String title, Collection<? extends JsonNode> documents) {
        if (title == null || title.isBlank()) {
            throw new dev.courier.ConfigurationException("title must not be blank");
        }
        return new Merge(title).run(documents);
    }

    /**
     * The merged document (a fresh copy).
     *
     * @return a deep copy of the merged document; change it freely
     */
    public ObjectNode document() {
        return document.deepCopy();
    }

    /**
     * The merged document as pretty-printed JSON.
     *
     * @return the merged document as JSON text
     */
    public String toJson() {
        return AsyncApi.json(document);
    }

    /**
     * The merged document as YAML.
     *
     * @return the merged document as YAML text
     */
    public String toYaml() {
        return AsyncApi.yaml(document);
    }

    /**
     * Messages with producers but no consumers and the reverse, sorted by message name; empty when all is wired.
     *
     * @return the gaps; never null, unmodifiable
     */
    public List<Gap> gaps() {
        return gaps;
    }

    /** The merging itself: one pass per service document. */
    private static final class Merge {
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

        Merge(String title) {
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
}
