package dev.courier.amqp;

import dev.courier.spi.Address;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The broker names of one transport: exchanges, queues and the per-delay retry queues, all under an
 * optional namespace. One place, so the transport, the docs and the contract generator agree.
 * Internal.
 */
final class Names {
    private final String prefix;
    private final String events;
    private final String commands;

    Names(String namespace, String eventsExchange, String commandsExchange) {
        this.prefix = namespace == null || namespace.isEmpty() ? "" : namespace + ".";
        this.events = prefix + eventsExchange;
        this.commands = prefix + commandsExchange;
    }

    /** The topic exchange of events; routing key = message name. */
    String eventsExchange() {
        return events;
    }

    /** The direct exchange of commands; routing key = message name. */
    String commandsExchange() {
        return commands;
    }

    /** The durable queue of one (service, event) pair, e.g. {@code ordering.v1.order.placed}. */
    String eventQueue(String group, String messageName) {
        return prefix + group + "." + messageName;
    }

    /** The durable queue of a command, shared by the handling service's instances. */
    String commandQueue(String messageName) {
        return prefix + "courier.command." + messageName;
    }

    /** The exclusive, auto-delete reply queue of one bus instance ({@code <service>.<instance>}). */
    String replyQueue(String replyAddress) {
        return prefix + "courier.reply." + replyAddress;
    }

    /** The durable dead-letter queue of a service. */
    String deadLetterQueue(String service) {
        return prefix + "courier.dead-letter." + service;
    }

    /** The fanout exchange and TTL queue of one delay step (both have this name). */
    String delay(long millis) {
        return prefix + "courier.delay." + millis + "ms";
    }

    /** The queue a subscription of {@code group} to {@code address} reads. */
    String queueOf(Address address, String group) {
        switch (address.kind()) {
            case EVENT:
                return eventQueue(group, address.name());
            case COMMAND:
                return commandQueue(address.name());
            case REPLY:
                return replyQueue(address.name());
            default:
                return deadLetterQueue(address.name());
        }
    }

    /** Where a publish goes: exchange, routing key, and whether an unroutable message is an error. */
    record Route(String exchange, String routingKey, boolean mandatory) {
    }

    /**
     * Events go to the topic exchange, not mandatory (no subscriber yet is normal); an event for one
     * group (replay) goes through the default exchange straight to that group's queue; commands go
     * to the direct exchange; replies and dead letters to their queue. All but plain events are
     * mandatory.
     */
    Route route(Address to) {
        switch (to.kind()) {
            case EVENT:
                return to.group() == null ? new Route(events, to.name(), false)
                        : new Route("", eventQueue(to.group(), to.name()), true);
            case COMMAND:
                return new Route(commands, to.name(), true);
            case REPLY:
                return new Route("", replyQueue(to.name()), true);
            default:
                return new Route("", deadLetterQueue(to.name()), true);
        }
    }

    /** The contract view of an address: exchange, type, routing key, queue and queue type. */
    Map<String, String> wireAddress(Address address, String group, AmqpTransport.QueueType queueType) {
        Map<String, String> m = new LinkedHashMap<>();
        switch (address.kind()) {
            case EVENT:
                if (address.group() != null) {
                    m.put("exchange", "");
                    m.put("routingKey", eventQueue(address.group(), address.name()));
                } else {
                    m.put("exchange", eventsExchange());
                    m.put("exchangeType", "topic");
                    m.put("routingKey", address.name());
                }
                if (group != null || address.group() != null) {
                    m.put("queue", eventQueue(group != null ? group : address.group(), address.name()));
                }
                break;
            case COMMAND:
                m.put("exchange", commandsExchange());
                m.put("exchangeType", "direct");
                m.put("routingKey", address.name());
                m.put("queue", commandQueue(address.name()));
                break;
            case REPLY:
                m.put("exchange", "");
                m.put("routingKey", replyQueue(address.name()));
                m.put("queue", replyQueue(address.name()));
                break;
            default:
                m.put("exchange", "");
                m.put("routingKey", deadLetterQueue(address.name()));
                m.put("queue", deadLetterQueue(address.name()));
        }
        if (m.containsKey("queue") && address.kind() != Address.Kind.REPLY) {
            m.put("queueType", queueType.name().toLowerCase(Locale.ROOT));
        }
        return m;
    }

}
