package dev.courier.spi;

import java.util.Map;

/**
 * An optional ability of a {@link Transport}: how it appears on the wire, for contracts (AsyncAPI
 * documents) and docs. Found through {@link Transport#ability}; {@link #of} gives a description of
 * any transport (the addresses' own text when it lacks this ability).
 */
public interface WireDescription {

    /**
     * The protocol for contracts (AsyncAPI {@code servers}).
     *
     * @return {@code amqp}, {@code mqtt}, {@code ws}, {@code memory}, ...
     */
    String protocol();

    /**
     * The host and port (or address list) for contracts; never credentials.
     *
     * @return for example {@code broker:5672}, or null when there is none (the default)
     */
    default String host() {
        return null;
    }

    /**
     * How an address appears on this transport's wire, for contracts and docs: for example
     * {@code exchange}/{@code routingKey}/{@code queue} on AMQP, {@code topic} on MQTT. {@code group}
     * is the consuming service, or null for the publishing side.
     *
     * @param address the address to describe; never null
     * @param group   the consuming service, or null for the publishing side
     * @return the wire names by role; never null (default: {@code address} = the address's text)
     */
    default Map<String, String> wireAddress(Address address, String group) {
        return Map.of("address", address.toString());
    }

    /**
     * The wire description of {@code transport}: its own, or one that names the protocol
     * {@code memory}, no host, and each address by its text.
     *
     * @param transport any transport; never null
     * @return its description; never null
     */
    static WireDescription of(Transport transport) {
        return transport.ability(WireDescription.class).orElse(() -> "memory");
    }
}
