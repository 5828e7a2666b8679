package dev.courier.amqp;

import dev.courier.spi.Address;

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
}
