package dev.courier.asyncapi;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.spi.Address;
import dev.courier.BusDescription;

import java.util.List;
import java.util.Map;

/**
 * Turns what a bus's transport says about its wire ({@link BusDescription#protocol()},
 * {@link BusDescription#host()}, {@link BusDescription#wireAddress}) into AsyncAPI servers, channel addresses and bindings.
 */
final class Wire {

    static final String AMQP_BINDING_VERSION = "0.3.0";
    static final String MQTT_BINDING_VERSION = "0.2.0";
    static final String KAFKA_BINDING_VERSION = "0.5.0";

    /** Keys that name the location a publisher writes to, best first. */
    private static final List<String> PUBLISH_KEYS = List.of("topic", "routingKey", "channel", "route", "address");
    /** Keys that name the location a consumer reads from, best first. */
    private static final List<String> CONSUME_KEYS = List.of("queue", "subscription", "topic", "routingKey",
            "channel", "route", "address");

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final BusDescription bus;
    private final String protocol;

    Wire(BusDescription bus) {
        this.bus = bus;
        this.protocol = bus.protocol();
    }

    String protocol() {
        return protocol;
    }

    /**
     * The server entry, or null when the transport has no host (the in-memory transport: nothing
     * outside this JVM can reach it). Anything that looks like user info is cut off, as a second
     * guard: transports promise never to return credentials.
     */
    ObjectNode server() {
        String host = bus.host().orElse(null);
        if (host == null) {
            return null;
        }
        int at = host.lastIndexOf('@');
        if (at >= 0) {
            host = host.substring(at + 1);
        }
        String pathname = null;
        int slash = host.indexOf('/');
        if (slash >= 0) {
            pathname = host.substring(slash);
            host = host.substring(0, slash);
        }
        ObjectNode server = JSON.objectNode().put("host", host).put("protocol", protocol);
        if (pathname != null && pathname.length() > 1) {
            server.put("pathname", pathname);
        }
        if (isAmqp()) {
            server.put("protocolVersion", "0.9.1");
        }
        server.put("description", "The broker this service's bus is connected to (" + protocol + ").");
        return server;
    }

    /** The wire map of {@code address} as seen by a publisher (group null) or by consumer group {@code group}. */
    Map<String, String> map(Address address, String group) {
        return bus.wireAddress(address, group);
    }

    /** The AsyncAPI channel address: the topic, routing key or queue users would type into their client. */
    static String address(Map<String, String> wire, boolean consumer) {
        for (String key : consumer ? CONSUME_KEYS : PUBLISH_KEYS) {
            String v = wire.get(key);
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return wire.values().iterator().next();
    }

    /** Channel bindings for the protocol, or null when the wire map does not say enough. */
    ObjectNode channelBindings(Map<String, String> wire, boolean consumer) {
        if (isKafka()) {
            if (wire.get("topic") == null) {
                return null;
            }
            ObjectNode bindings = JSON.objectNode();
            bindings.putObject("kafka").put("topic", wire.get("topic")).put("bindingVersion", KAFKA_BINDING_VERSION);
            return bindings;
        }
        if (!isAmqp() || wire.get("exchange") == null && !(consumer && wire.get("queue") != null)) {
            return null;
        }
        ObjectNode amqp = JSON.objectNode();
        boolean queue = consumer && wire.get("queue") != null;
        amqp.put("is", queue ? "queue" : "routingKey");
        if (queue) {
            // AMQP binding 0.3.0: a queue channel describes the queue only (the exchange stays in x-courier-wire)
            putVhost(amqp.putObject("queue").put("name", wire.get("queue")), wire);
        } else {
            ObjectNode exchange = amqp.putObject("exchange").put("name", wire.get("exchange"));
            String type = wire.get("exchangeType");
            if (type != null && List.of("topic", "direct", "fanout", "default", "headers").contains(type)) {
                exchange.put("type", type);
            }
            putVhost(exchange, wire);
        }
        amqp.put("bindingVersion", AMQP_BINDING_VERSION);
        ObjectNode bindings = JSON.objectNode();
        bindings.set("amqp", amqp);
        return bindings;
    }

    /** Operation bindings (MQTT QoS, the Kafka consumer group, when the wire map gives one), or null. */
    ObjectNode operationBindings(Map<String, String> wire) {
        if (isKafka()) {
            String group = wire.get("groupId");
            if (group == null) {
                return null;
            }
            ObjectNode bindings = JSON.objectNode();
            ObjectNode kafka = bindings.putObject("kafka");
            kafka.putObject("groupId").put("type", "string").putArray("enum").add(group);
            kafka.put("bindingVersion", KAFKA_BINDING_VERSION);
            return bindings;
        }
        String qos = wire.get("qos");
        if (!isMqtt() || qos == null || !qos.matches("[012]")) {
            return null;
        }
        ObjectNode bindings = JSON.objectNode();
        bindings.putObject("mqtt").put("qos", Integer.parseInt(qos)).put("bindingVersion", MQTT_BINDING_VERSION);
        return bindings;
    }

    private static void putVhost(ObjectNode node, Map<String, String> wire) {
        if (wire.get("vhost") != null) {
            node.put("vhost", wire.get("vhost"));
        }
    }

    private boolean isAmqp() {
        return protocol.startsWith("amqp");
    }

    private boolean isKafka() {
        return protocol.startsWith("kafka");
    }

    private boolean isMqtt() {
        return protocol.startsWith("mqtt") || protocol.startsWith("secure-mqtt");
    }
}
