package dev.courier.asyncapi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.courier.Command;
import dev.courier.ConfigurationException;
import dev.courier.MessageBus;
import dev.courier.BusDescription;

import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The AsyncAPI 3.0.0 contract of one service, generated from its {@link MessageBus}: what it
 * publishes and sends (declared with {@code produces(...)}), what it handles ({@code onEvent},
 * {@code onCommand}), where each message travels on the bus's transport, the payload of each as a
 * JSON Schema generated from its Java type, the CloudEvents headers, and correlation.
 *
 * <pre>{@code
 * String yaml = AsyncApi.of(bus)
 *         .version("1.4.0")
 *         .replies(PlaceOrder.class, OrderAccepted.class)   // v1.order.place is a request
 *         .toYaml();
 * }</pre>
 *
 * <p>What the bus cannot know is declared here: which commands are requests and what they reply
 * ({@link #replies}), and which messages are deprecated ({@link #deprecated}, or {@code @Deprecated} on
 * the type). Each call of {@link #document()}, {@link #toJson()} or {@link #toYaml()} writes the
 * document anew; the output is sorted and stable. Configure from one thread; the bus may be running
 * or not, started or closed.
 */
public final class AsyncApi {

    /** The {@code info.version} used until {@link #version(String)} sets one. */
    public static final String DEFAULT_VERSION = "0.0.0";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build());

    private final BusDescription bus;
    private String version = DEFAULT_VERSION;
    private String description;
    private final Map<Class<?>, Class<?>> replies = new LinkedHashMap<>();
    private final Set<Class<?>> deprecated = new LinkedHashSet<>();

    private AsyncApi(BusDescription bus) {
        this.bus = bus;
    }

    /**
     * The contract of {@code bus}'s service.
     *
     * @param bus a built bus (started or not); never null
     * @return a contract builder reading the bus's handlers, producers and transport; nothing is generated until {@link #document()}
     */
    public static AsyncApi of(MessageBus bus) {
        Objects.requireNonNull(bus, "bus");
        return new AsyncApi(bus.description());
    }

    /**
     * {@code info.version}: the version of this service's contract (default {@value #DEFAULT_VERSION}).
     *
     * @param version not blank
     * @return this builder
     */
    public AsyncApi version(String version) {
        this.version = requireText(version, "version");
        return this;
    }

    /**
     * {@code info.description} (CommonMark); by default a sentence naming the service.
     *
     * @param description CommonMark text, not blank
     * @return this builder
     */
    public AsyncApi description(String description) {
        this.description = requireText(description, "description");
        return this;
    }

    /**
     * Declares that {@code request} is answered with {@code ctx.reply(...)} of a {@code reply}: the
     * operations that send or handle it get an AsyncAPI {@code reply}, on the requester's reply address.
     * The reply's name is its {@code @MessageName}, or the request's name plus {@code .reply}, as on
     * the wire.
     *
     * @throws ConfigurationException when the bus neither handles nor declares it produces {@code request}
     * @param <C> the request type
     * @param request the command answered with a reply
     * @param reply the reply's type
     * @return this builder
     */
    public <C extends Command> AsyncApi replies(Class<C> request, Class<?> reply) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(reply, "reply");
        if (bus.message(request).isEmpty()) {
            throw new ConfigurationException(request.getName() + " is not a message of the service '"
                    + bus.service() + "': handle it with onCommand(...) or declare it with produces(...)");
        }
        replies.put(request, reply);
        return this;
    }

    /**
     * Marks messages (or reply types) as deprecated; {@code @Deprecated} on the type does the same.
     *
     * @param types message or reply classes
     * @return this builder
     */
    public AsyncApi deprecated(Class<?>... types) {
        for (Class<?> t : types) {
            deprecated.add(Objects.requireNonNull(t, "type"));
        }
        return this;
    }

    /**
     * The document as a Jackson tree (a fresh copy each call; change it freely).
     *
     * @return the AsyncAPI 3.0 document; never null
     */
    public ObjectNode document() {
        return new DocumentBuilder(bus, Map.copyOf(replies), Set.copyOf(deprecated)).build(version, description);
    }

    /**
     * The document as pretty-printed JSON.
     *
     * @return the document as JSON text
     */
    public String toJson() {
        return json(document());
    }

    /**
     * The document as YAML.
     *
     * @return the document as YAML text
     */
    public String toYaml() {
        return yaml(document());
    }

    static String json(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String yaml(JsonNode node) {
        try {
            return YAML.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new ConfigurationException(what + " must not be blank");
        }
        return value;
    }
}
