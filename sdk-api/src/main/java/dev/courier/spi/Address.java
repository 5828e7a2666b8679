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
    public enum Kind {
        /** A published event: every subscribing group gets its own copy. */
        EVENT,
        /** A sent command: one handler across all instances of the handling service. */
        COMMAND,
        /** A reply to one bus instance's requests. */
        REPLY,
        /** One service's dead letters. */
        DEAD_LETTER
    }

    /**
     * @param kind  the kind of location
     * @param name  the message name, reply address or service, by kind
     * @param group the one group that gets it, or null for the kind's normal fan-out
     */
    public Address {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("address name must not be empty");
        }
    }

    /**
     * @param messageName the event's name
     * @return where an event goes: every subscribing group gets its own copy
     */
    public static Address event(String messageName) {
        return new Address(Kind.EVENT, messageName, null);
    }

    /**
     * @param messageName the event's name
     * @param group       the one group (service) that gets it
     * @return an event delivered to one group only (replay, delayed redelivery)
     */
    public static Address event(String messageName, String group) {
        return new Address(Kind.EVENT, messageName, Objects.requireNonNull(group, "group"));
    }

    /**
     * @param messageName the command's name
     * @return where a command goes: one handler across all instances
     */
    public static Address command(String messageName) {
        return new Address(Kind.COMMAND, messageName, null);
    }

    /**
     * @param replyAddress the reply address of one bus instance
     * @return where replies to that instance go
     */
    public static Address reply(String replyAddress) {
        return new Address(Kind.REPLY, replyAddress, null);
    }

    /**
     * @param service the service
     * @return where that service's dead letters are kept
     */
    public static Address deadLetter(String service) {
        return new Address(Kind.DEAD_LETTER, service, null);
    }

    /** @return the same address without a target group */
    public Address withoutGroup() {
        return group == null ? this : new Address(kind, name, null);
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase() + ":" + name + (group == null ? "" : "@" + group);
    }
}
