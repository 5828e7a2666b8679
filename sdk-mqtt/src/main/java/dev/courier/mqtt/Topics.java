package dev.courier.mqtt;

import dev.courier.spi.Address;

import java.nio.charset.StandardCharsets;

/**
 * Courier's topic names on MQTT, in one place. Message names map to levels ({@code v1.order.placed} →
 * {@code <prefix>/v1/order/placed}); Courier's own traffic lives under {@code <prefix>/_courier/}.
 * Internal.
 */
final class Topics {
    static final String COMMAND_GROUP = "courier-command";
    private static final String INTERNAL = "_courier";

    /** What an incoming topic is. */
    enum Kind { MESSAGE, DIRECT, RETRY, REPLY, MEMBERS, MEMBER, FENCE, DEAD_LETTER, UNKNOWN }

    /** A parsed incoming topic: its kind and the message name, reply address or member id it carries. */
    record Route(Kind kind, String service, String name) {
    }

    private final String prefix;
    private final String internal;
    private final java.util.Map<Address, String> publishTopics = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<String, Route> routes = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_LIMIT = 10_000;

    Topics(String prefix) {
        this.prefix = prefix;
        this.internal = prefix + "/" + INTERNAL + "/";
    }

    String prefix() {
        return prefix;
    }

    /** Null when the prefix is a valid topic prefix, otherwise what is wrong with it. */
    static String checkPrefix(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "must not be empty";
        }
        if (prefix.startsWith("$")) {
            return "must not start with '$' (reserved for broker topics such as $SYS and $share), was '" + prefix + "'";
        }
        String p = checkLevels(prefix);
        if (p != null) {
            return p + ", was '" + prefix + "'";
        }
        if (prefix.getBytes(StandardCharsets.UTF_8).length > MqttConfig.MAX_TOPIC_BYTES - 1024) {
            return "is longer than the protocol's 65,535-byte topic limit leaves room for";
        }
        return null;
    }

    private static String checkLevels(String s) {
        if (s.indexOf('+') >= 0 || s.indexOf('#') >= 0) {
            return "must not contain the wildcards '+' or '#'";
        }
        if (s.indexOf('\0') >= 0) {
            return "must not contain NUL";
        }
        if (s.startsWith("/") || s.endsWith("/") || s.contains("//")) {
            return "must not have empty levels (leading, trailing or double '/')";
        }
        return null;
    }

    static boolean hasWildcardOrSlash(String s) {
        return s.indexOf('+') >= 0 || s.indexOf('#') >= 0 || s.indexOf('/') >= 0 || s.indexOf('\0') >= 0;
    }

    /** A message name or service as topic levels; fails with a clear message on a name MQTT cannot carry. */
    static String levels(String what, String name) {
        if (name.startsWith("$")) {
            throw new dev.courier.ConfigurationException(what + " '" + name + "' must not start with '$' on MQTT");
        }
        String l = name.replace('.', '/');
        String p = checkLevels(l);
        if (p != null || name.indexOf('/') >= 0) {
            throw new dev.courier.ConfigurationException(what + " '" + name + "' cannot be an MQTT topic: "
                    + (p != null ? p : "it must not contain '/'") + " (dots become levels)");
        }
        return l;
    }

    /** A name used as a single level (service, instance, reply address). */
    static String level(String what, String name) {
        if (name.isEmpty() || hasWildcardOrSlash(name) || name.startsWith("$")) {
            throw new dev.courier.ConfigurationException(what + " '" + name + "' cannot be used on MQTT: it must be non-empty"
                    + " and contain no '+', '#', '/' or leading '$'");
        }
        return name;
    }

    private static String checked(String topic) {
        if (topic.getBytes(StandardCharsets.UTF_8).length > MqttConfig.MAX_TOPIC_BYTES) {
            throw new dev.courier.ConfigurationException("topic is longer than MQTT's 65,535-byte limit: "
                    + topic.substring(0, 80) + "...");
        }
        return topic;
    }

    /** The topic a message to {@code to} is published on (cached: a service uses few addresses). */
    String publishTopic(Address to) {
        String t = publishTopics.get(to);
        if (t == null) {
            t = computePublishTopic(to);
            if (publishTopics.size() < CACHE_LIMIT) {
                publishTopics.put(to, t);
            }
        }
        return t;
    }

    private String computePublishTopic(Address to) {
        switch (to.kind()) {
            case EVENT:
                return to.group() != null ? direct(share(to, to.group()), to.name()) : message(to.name());
            case COMMAND:
                return message(to.name());
            case REPLY:
                return reply(to.name());
            case DEAD_LETTER:
                return deadLetter(to.name());
            default:
                throw new dev.courier.ConfigurationException("unknown address kind " + to.kind());
        }
    }

    /** The subscription filter of {@code group} for {@code address}. */
    String filter(Address address, String group) {
        switch (address.kind()) {
            case EVENT:
                return "$share/" + level("service", group) + "/" + message(address.name());
            case COMMAND:
                return "$share/" + COMMAND_GROUP + "/" + message(address.name());
            case REPLY:
                return reply(address.name());
            default:
                throw new dev.courier.ConfigurationException("cannot subscribe to " + address);
        }
    }

    String message(String name) {
        return checked(prefix + "/" + levels("message name", name));
    }

    /** The shared group a subscription of {@code address} by {@code group} joins (commands: one group for all). */
    static String share(Address address, String group) {
        return address.kind() == Address.Kind.COMMAND ? COMMAND_GROUP : level("service", group);
    }

    /** Where a message given back to {@code share}'s members of {@code name} goes (reject, hand-over, replay). */
    String direct(String share, String name) {
        return checked(internal + "direct/" + level("group", share) + "/" + levels("message name", name));
    }

    String directFilter(String share, String name) {
        return "$share/" + level("group", share) + "/" + direct(share, name);
    }

    /** Where a delayed redelivery for {@code share}'s members of {@code name} waits (read by the retry sessions). */
    String retry(String share, String name) {
        return checked(internal + "retry/" + level("group", share) + "/" + levels("message name", name));
    }

    String retryFilter(String share, String name) {
        return "$share/" + level("group", share) + "/" + retry(share, name);
    }

    /** The retained hand-over record of a closed member session of {@code share}'s subscription of {@code name}. */
    String memberRecord(String share, String name, String clientId) {
        return checked(internal + "member/" + level("group", share) + "/" + levels("message name", name) + "/"
                + level("client id", clientId));
    }

    String memberRecordFilter(String share, String name) {
        return internal + "member/" + level("group", share) + "/" + levels("message name", name) + "/+";
    }

    String reply(String replyAddress) {
        return checked(internal + "reply/" + level("reply address", replyAddress));
    }

    String deadLetter(String service) {
        return checked(internal + "dl/" + level("service", service));
    }

    String member(String service, String clientId) {
        return checked(internal + "members/" + level("service", service) + "/" + level("client id", clientId));
    }

    String membersFilter(String service) {
        return internal + "members/" + level("service", service) + "/+";
    }

    String fence(String clientId) {
        return checked(internal + "fence/" + level("client id", clientId));
    }

    /** What an incoming topic is; message names come back with dots (cached). */
    Route route(String topic) {
        Route r = routes.get(topic);
        if (r == null) {
            r = computeRoute(topic);
            if (routes.size() < CACHE_LIMIT) {
                routes.put(topic, r);
            }
        }
        return r;
    }

    private Route computeRoute(String topic) {
        if (topic.startsWith(internal)) {
            String rest = topic.substring(internal.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                return new Route(Kind.UNKNOWN, null, topic);
            }
            String head = rest.substring(0, slash);
            String tail = rest.substring(slash + 1);
            switch (head) {
                case "direct":
                case "retry": {
                    int s = tail.indexOf('/');
                    if (s < 0) {
                        return new Route(Kind.UNKNOWN, null, topic);
                    }
                    return new Route(head.equals("direct") ? Kind.DIRECT : Kind.RETRY, tail.substring(0, s),
                            tail.substring(s + 1).replace('/', '.'));
                }
                case "reply":
                    return new Route(Kind.REPLY, null, tail);
                case "member": {
                    int first = tail.indexOf('/');
                    int last = tail.lastIndexOf('/');
                    if (first < 0 || last <= first) {
                        return new Route(Kind.UNKNOWN, null, topic);
                    }
                    // service = the share group, name = "<message name> <client id>"
                    return new Route(Kind.MEMBER, tail.substring(0, first),
                            tail.substring(first + 1, last).replace('/', '.') + " " + tail.substring(last + 1));
                }
                case "members": {
                    int s = tail.indexOf('/');
                    return s < 0 ? new Route(Kind.UNKNOWN, null, topic)
                            : new Route(Kind.MEMBERS, tail.substring(0, s), tail.substring(s + 1));
                }
                case "fence":
                    return new Route(Kind.FENCE, null, tail);
                case "dl":
                    return new Route(Kind.DEAD_LETTER, tail, tail);
                default:
                    return new Route(Kind.UNKNOWN, null, topic);
            }
        }
        if (topic.startsWith(prefix + "/")) {
            return new Route(Kind.MESSAGE, null, topic.substring(prefix.length() + 1).replace('/', '.'));
        }
        return new Route(Kind.UNKNOWN, null, topic);
    }
}
