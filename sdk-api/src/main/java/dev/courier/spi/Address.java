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

    /**
     * Parses the form {@link #toString()} gives: {@code event:<name>[@<group>]}, {@code command:<name>},
     * {@code reply:<address>} or {@code dead_letter:<service>}. The one parser of addresses written as
     * text (dead-letter headers, the WebSocket hub's frames, tools).
     *
     * @param text the address as text; null is invalid
     * @return the address
     * @throws dev.courier.CourierException naming the accepted forms when {@code text} is none of them
     */
    public static Address parse(String text) {
        Address a = text == null ? null : tryParse(text);
        if (a == null) {
            throw new dev.courier.CourierException("'" + text + "' is not an address: expected event:<name>[@<group>],"
                    + " command:<name>, reply:<address> or dead_letter:<service>");
        }
        return a;
    }

    private static Address tryParse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            return null;
        }
        String rest = text.substring(colon + 1);
        switch (text.substring(0, colon)) {
            case "event": {
                int at = rest.lastIndexOf('@');
                if (at == 0 || at == rest.length() - 1) {
                    return null;
                }
                return at > 0 ? event(rest.substring(0, at), rest.substring(at + 1)) : event(rest);
            }
            case "command":
                return command(rest);
            case "reply":
                return reply(rest);
            case "dead_letter":
                return deadLetter(rest);
            default:
                return null;
        }
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT) + ":" + name + (group == null ? "" : "@" + group);
    }
}
