package dev.courier.mqtt;

import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code mqtt://} and {@code mqtts://} URIs into an {@link MqttConfig.Builder} with Courier's one
 * URI parser ({@link TransportUri}): address lists, one duration syntax, every problem named at once,
 * and the URI redacted in every failure. Internal.
 */
final class MqttUri {
    private MqttUri() {
    }

    /**
     * @param uri the URI
     * @return a builder holding what the URI says
     * @throws ConfigurationException naming every bad part (the password never appears)
     */
    static MqttConfig.Builder parse(String uri) {
        TransportUri u = TransportUri.parse(uri);
        if (!u.scheme().equals("mqtt") && !u.scheme().equals("mqtts")) {
            throw new ConfigurationException("MQTT URI must start with mqtt:// or mqtts://, was '" + u.redacted() + "'");
        }
        boolean tls = u.scheme().equals("mqtts");
        MqttConfig.Builder b = MqttConfig.builder().tls(tls)
                .addresses(u.hosts(tls ? MqttConfig.DEFAULT_TLS_PORT : MqttConfig.DEFAULT_PORT));
        if (u.username() != null && !u.username().isEmpty()) {
            b.username(u.username()).password(u.password());
        }
        String v = u.string("version", "5");
        switch (v) {
            case "3", "3.1.1", "311" -> b.version(MqttConfig.Version.V3_1_1);
            case "5", "5.0" -> b.version(MqttConfig.Version.V5);
            default -> u.problem("uri: version must be 3 or 5, was '" + v + "'");
        }
        b.topicPrefix(u.string("prefix", MqttConfig.DEFAULT_TOPIC_PREFIX))
                .qos(u.integer("qos", MqttConfig.DEFAULT_QOS, 1, 2))
                .sessionExpiry(u.duration("sessionExpiry", MqttConfig.DEFAULT_SESSION_EXPIRY))
                .clientIdPrefix(u.string("clientId", null))
                .instanceId(u.string("instanceId", null))
                .maxInFlight(u.integer("maxInFlight", MqttConfig.DEFAULT_MAX_IN_FLIGHT, 1, 65_535))
                .maxMessageSize(u.integer("maxMessageSize", MqttConfig.DEFAULT_MAX_MESSAGE_SIZE, 1024, Integer.MAX_VALUE))
                .connectTimeout(u.duration("connectTimeout", MqttConfig.DEFAULT_CONNECT_TIMEOUT));
        try {
            u.check("MQTT");
        } catch (ConfigurationException e) {
            List<String> named = new ArrayList<>();
            for (String p : e.problems()) {
                named.add(p + " (in " + u.redacted() + ")");
            }
            throw new ConfigurationException(named);
        }
        return b;
    }
}
