package dev.courier.spi;

import java.util.Objects;

/**
 * Where a message goes on the wire, independent of any broker: a kind and a name, and for
 * direct deliveries the one group (service) that must get it. Transports map it to their own
 * names (an AMQP exchange and routing key, an MQTT topic, a hub route).
 *
 * <ul>
 *   <li>{@link Kind#EVENT}: name = message name; every subscribing group gets its own copy, or only
 *       {@code group} when it is set (replays and delayed redeliveries never fan out again).</li>
 *   <li>{@link Kind#COMMAND}: name = message name; one handler across all instances.</li>
 *   <li>{@link Kind#REPLY}: name = the reply address of one bus instance.</li>
 *   <li>{@link Kind#DEAD_LETTER}: name = the service whose dead letters these are.</li>
 * </ul>
 */
public record Address(Kind kind, String name, String group) {

    /** The four kinds of wire location. */
    public enum Kind { EVENT, COMMAND, REPLY, DEAD_LETTER }

    public Address {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("address name must not be empty");
        }
    }

    public static Address event(String messageName) {
        return new Address(Kind.EVENT, messageName, null);
    }

    /** An event delivered to one group only (replay, delayed redelivery). */
    public static Address event(String messageName, String group) {
        return new Address(Kind.EVENT, messageName, Objects.requireNonNull(group, "group"));
    }

    public static Address command(String messageName) {
        return new Address(Kind.COMMAND, messageName, null);
    }

    public static Address reply(String replyAddress) {
        return new Address(Kind.REPLY, replyAddress, null);
    }

    public static Address deadLetter(String service) {
        return new Address(Kind.DEAD_LETTER, service, null);
    }

    /** The same address without a target group. */
    public Address withoutGroup() {
        return group == null ? this : new Address(kind, name, null);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + ":" + name + (group == null ? "" : "@" + group);
    }
}
