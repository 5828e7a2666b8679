package dev.courier.mqtt;

import dev.courier.spi.Address;
import dev.courier.spi.Limits;

import java.util.LinkedHashMap;
import java.util.Map;

/** What the MQTT wire allows and how an address looks on it (for contracts). Internal. */
final class WireLimits {
    private WireLimits() {
    }

    /**
     * MQTT's limits, from the smaller of {@code maxMessageSize} and the broker's CONNACK maximum packet
     * size: a packet carries the topic, the headers (MQTT 5: user properties, a value holding control
     * characters percent-encoded, up to three times as long, and at most 65,535 bytes on the wire;
     * 3.1.1: JSON string members, escapes up to six times as long) and the body (3.1.1: base64 for a body
     * that is not JSON, four thirds as long). Headers get Courier's 64 KiB (less for a small packet
     * size) with their worst-case expansion; the body gets the rest, less 16 KiB for the topic and
     * framing.
     */
    static Limits of(MqttConfig cfg, int sessionLimit) {
        int packet = Math.min(cfg.maxMessageSize(), sessionLimit);
        boolean v5 = cfg.version() == MqttConfig.Version.V5;
        int expansion = v5 ? 3 : 6;
        int headers = Math.max(Limits.MIN_HEADERS_BYTES, Math.min(Limits.DEFAULTS.maxHeadersBytes(), packet / 8));
        int value = Math.max(Limits.MIN_HEADER_VALUE_BYTES, Math.min(headers, v5 ? 65_535 / 3 : headers));
        long room = (long) packet - (long) headers * expansion - 16 * 1024;
        long body = v5 ? room : room * 3 / 4;
        return new Limits(Math.min(value, 65_535 / 3), value, headers, (int) Math.max(1, body));
    }

    /** The topic, QoS, session or shared subscription of an address, for contracts. */
    static Map<String, String> wireAddress(MqttConfig cfg, Topics topics, Address address, String group) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("topic", topics.publishTopic(address));
        m.put("qos", Integer.toString(cfg.qos()));
        if (address.kind() == Address.Kind.DEAD_LETTER) {
            m.put("session", DeadLetterStore.clientId(cfg, address.name()));
        } else if (group != null && address.kind() != Address.Kind.REPLY) {
            m.put("subscription", topics.filter(address.withoutGroup(), group));
            m.put("sharedGroup", address.kind() == Address.Kind.EVENT ? group : Topics.COMMAND_GROUP);
        }
        m.put("contentMode", cfg.version() == MqttConfig.Version.V5 ? "binary" : "structured");
        return m;
    }
}
