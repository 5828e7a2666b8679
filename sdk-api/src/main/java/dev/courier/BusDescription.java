package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Limits;
import dev.courier.spi.PayloadCodec;
import dev.courier.spi.Transport;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a bus is, for tools that describe it rather than use it: contracts (courier-asyncapi),
 * metrics (courier-micrometer), documentation. Got from {@link MessageBus#description()}; built or
 * started, open or closed, it answers the same (only {@link #limits()} learns the transport's own
 * limits at start).
 *
 * <p>It names the service and instance, the messages the service handles and those it declared with
 * {@code produces(...)}, the payload codec, and what the transport says about its wire: protocol,
 * host and the wire names of each address ({@link #wireAddress}). It never carries credentials.
 * Thread safe; every method answers on the calling thread without I/O.
 */
public final class BusDescription {

    /**
     * One message type of the service.
     *
     * @param name     the wire name, e.g. {@code v1.order.placed}
     * @param javaType the Java type its payload is read as and written from
     * @param kind     {@link MessageKind#EVENT} or {@link MessageKind#COMMAND}
     */
    public record Message(String name, Class<?> javaType, MessageKind kind) {
        /**
         * @param name     the wire name; not null
         * @param javaType the payload type; not null
         * @param kind     EVENT or COMMAND; not null
         * @throws NullPointerException when an argument is null
         */
        public Message {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(javaType, "javaType");
            Objects.requireNonNull(kind, "kind");
        }

        /**
         * Where this message travels, as a publisher sees it.
         *
         * @return {@link Address#event} or {@link Address#command} of its name
         */
        public Address address() {
            return kind == MessageKind.EVENT ? Address.event(name) : Address.command(name);
        }
    }

    private final String service;
    private final String instanceId;
    private final Transport transport;
    private final List<Message> handles;
    private final List<Message> produces;
    private final PayloadCodec codec;
    private final Supplier<Limits> limits;

    BusDescription(String service, String instanceId, Transport transport, List<Message> handles,
                   List<Message> produces, PayloadCodec codec, Supplier<Limits> limits) {
        this.service = service;
        this.instanceId = instanceId;
        this.transport = transport;
        this.handles = List.copyOf(handles);
        this.produces = List.copyOf(produces);
        this.codec = codec;
        this.limits = limits;
    }

    /** @return the service name (consumer group) */
    public String service() {
        return service;
    }

    /** @return this instance's id within the service */
    public String instanceId() {
        return instanceId;
    }

    /** @return the message types the service handles ({@code onEvent}, {@code onCommand}), in registration order */
    public List<Message> handles() {
        return handles;
    }

    /** @return the message types the service declared with {@code produces(...)}, in declaration order */
    public List<Message> produces() {
        return produces;
    }

    /**
     * The handled or produced message type of a Java type.
     *
     * @param javaType a message class
     * @return its description, or empty when the service neither handles nor declared it
     */
    public Optional<Message> message(Class<?> javaType) {
        for (List<Message> list : List.of(handles, produces)) {
            for (Message m : list) {
                if (m.javaType().equals(javaType)) {
                    return Optional.of(m);
                }
            }
        }
        return Optional.empty();
    }

    /** @return how payloads become bytes (a {@link dev.courier.spi.JsonPayloadCodec} unless configured) */
    public PayloadCodec codec() {
        return codec;
    }

    /**
     * The limits every message the bus makes is checked against: the smaller of Courier's own and the
     * transport's (the transport's are known once the bus started; Courier's own before).
     *
     * @return the limits in force now
     */
    public Limits limits() {
        return limits.get();
    }

    /** @return the transport as it describes itself for logs, e.g. {@code amqp://host:5672/vhost}; never credentials */
    public String transport() {
        return transport.describe();
    }

    /** @return the transport's protocol: {@code amqp}, {@code mqtt}, {@code ws} or {@code memory} */
    public String protocol() {
        String p = dev.courier.spi.WireDescription.of(transport).protocol();
        return p == null || p.isBlank() ? "memory" : p;
    }

    /** @return the broker's host and port (or address list), or empty when there is none (in memory) */
    public Optional<String> host() {
        String h = dev.courier.spi.WireDescription.of(transport).host();
        return h == null || h.isBlank() ? Optional.empty() : Optional.of(h);
    }

    /**
     * How an address appears on the transport's wire, e.g. {@code exchange}/{@code routingKey}/{@code queue}
     * on AMQP, {@code topic} on MQTT.
     *
     * @param address       the address, e.g. {@link Message#address()}
     * @param consumerGroup the consuming service, or null for the publishing side
     * @return the wire names by role; never empty (at least {@code address} = the address's text)
     */
    public Map<String, String> wireAddress(Address address, String consumerGroup) {
        Map<String, String> m = dev.courier.spi.WireDescription.of(transport)
                .wireAddress(Objects.requireNonNull(address, "address"), consumerGroup);
        return m == null || m.isEmpty() ? Map.of("address", address.toString()) : Map.copyOf(m);
    }

    /** @return the transport's window of publishes waiting for their confirm, for metrics; empty when it has none */
    public Optional<Transport.PublishWindow> publishWindow() {
        return Optional.ofNullable(transport.publishWindow());
    }

    @Override
    public String toString() {
        return "BusDescription[service=" + service + ", instance=" + instanceId + ", transport=" + transport()
                + ", handles=" + handles.size() + ", produces=" + produces.size() + "]";
    }
}
