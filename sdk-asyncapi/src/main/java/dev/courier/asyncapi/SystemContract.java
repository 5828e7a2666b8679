package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.List;
import java.util.Objects;

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

    private final ObjectNode document;
    private final List<Gap> gaps;

    SystemContract(ObjectNode document, List<Gap> gaps) {
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
        return new ContractMerge(title).run(documents);
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
}
