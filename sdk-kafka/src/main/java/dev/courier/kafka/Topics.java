package dev.courier.kafka;

import dev.courier.spi.Address;

/**
 * The names Courier gives topics and consumer groups (docs/transport-kafka.md). Every name starts with
 * the configured prefix; characters Kafka does not allow in a topic name become {@code _}.
 * <ul>
 * <li>events: {@code <prefix>.event.<message name>}, read by each service in its own group;</li>
 * <li>events for one service only (replays, requeues, delayed redeliveries):
 *     {@code <prefix>.direct.<service>__<message name>};</li>
 * <li>commands: {@code <prefix>.command.<message name>};</li>
 * <li>replies: {@code <prefix>.reply.<reply address>} (one per bus instance, deleted on close);</li>
 * <li>dead letters: {@code <prefix>.deadletter.<service>} and their index {@code <prefix>.dlindex.<service>};</li>
 * <li>delayed redeliveries: {@code <prefix>.retry.<service>};</li>
 * <li>consumer groups: {@code <prefix>.<service>} (all of a service's subscriptions), and
 *     {@code <prefix>.reply.<reply address>} for a reply topic.</li>
 * </ul>
 */
final class Topics {
    private final String prefix;

    Topics(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    /** The topic a publish to {@code a} goes to. */
    String publishTopic(Address a) {
        return switch (a.kind()) {
            case EVENT -> a.group() == null ? event(a.name()) : direct(a.group(), a.name());
            case COMMAND -> prefix + ".command." + clean(a.name());
            case REPLY -> reply(a.name());
            case DEAD_LETTER -> deadLetter(a.name());
        };
    }

    String event(String name) {
        return prefix + ".event." + clean(name);
    }

    String direct(String service, String name) {
        return prefix + ".direct." + clean(service) + "__" + clean(name);
    }

    String reply(String address) {
        return prefix + ".reply." + clean(address);
    }

    String deadLetter(String service) {
        return prefix + ".deadletter." + clean(service);
    }

    String deadLetterIndex(String service) {
        return prefix + ".dlindex." + clean(service);
    }

    String retry(String service) {
        return prefix + ".retry." + clean(service);
    }

    /** The consumer group of a service's subscriptions, or of a reply topic. */
    String group(Address a, String service) {
        return a.kind() == Address.Kind.REPLY ? reply(a.name()) : prefix + "." + clean(service);
    }

    /**
     * The topics one subscription reads: an event's fan-out topic and the service's direct topic for
     * it; a command's or reply's one topic.
     */
    java.util.List<String> subscribed(Address a, String service) {
        return switch (a.kind()) {
            case EVENT -> a.group() == null ? java.util.List.of(event(a.name()), direct(service, a.name()))
                    : java.util.List.of(direct(a.group(), a.name()));
            default -> java.util.List.of(publishTopic(a.withoutGroup()));
        };
    }

    /** Where a requeued copy of a delivery from {@code topicRead} goes: back to the same group only. */
    String requeueTopic(Address a, String service) {
        return a.kind() == Address.Kind.EVENT ? direct(service, a.name()) : publishTopic(a.withoutGroup());
    }

    static String clean(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
                    || c == '_' ? c : '_');
        }
        return b.toString();
    }
}
