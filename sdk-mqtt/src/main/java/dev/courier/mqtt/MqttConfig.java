package dev.courier.mqtt;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The immutable settings of an {@link MqttTransport}. Build one with {@link #builder()} or from a URI
 * with {@link #fromUri(URI)}; {@link Builder#build()} reports every bad setting at once, by name.
 *
 * <p>URI form: {@code mqtt[s]://[user[:password]@]host[:port][?version=3|5&prefix=a/b&qos=1|2
 * &sessionExpiry=PT1H&clientId=...&instanceId=...&maxInFlight=1000]}. The password never appears in
 * {@link #toString()}, logs or {@code describe()}.
 */
public final class MqttConfig {

    /** The MQTT protocol version to speak. */
    public enum Version {
        /** MQTT 5: binary CloudEvents (user properties), reason codes, session expiry. The default. */
        V5,
        /** MQTT 3.1.1: structured CloudEvents JSON; no reason codes, so unroutable commands are not detected. */
        V3_1_1
    }

    public static final String DEFAULT_HOST = "localhost";
    public static final int DEFAULT_PORT = 1883;
    public static final int DEFAULT_TLS_PORT = 8883;
    public static final String DEFAULT_TOPIC_PREFIX = "courier";
    public static final int DEFAULT_QOS = 1;
    /** How long the broker keeps an offline instance's session (and so its share of a shared group). */
    public static final Duration DEFAULT_SESSION_EXPIRY = Duration.ofHours(1);
    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;
    /** The largest encoded message Courier must be able to send; checked against the broker at start. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The protocol's limit for a topic name, in UTF-8 bytes. */
    public static final int MAX_TOPIC_BYTES = 65_535;

    private final String host;
    private final int port;
    private final boolean tls;
    private final String username;
    private final String password;
    private final Version version;
    private final String topicPrefix;
    private final int qos;
    private final Duration sessionExpiry;
    private final String clientIdPrefix;
    private final String instanceId;
    private final int maxInFlight;
    private final int maxMessageSize;
    private final Duration connectTimeout;
    private final java.util.function.Consumer<? super com.hivemq.client.mqtt.MqttClientBuilderBase<?>> clientCustomizer;

    private MqttConfig(Builder b) {
        this.host = b.host;
        this.port = b.port > 0 ? b.port : (b.tls ? DEFAULT_TLS_PORT : DEFAULT_PORT);
        this.tls = b.tls;
        this.username = b.username;
        this.password = b.password;
        this.version = b.version;
        this.topicPrefix = b.topicPrefix;
        this.qos = b.qos;
        this.sessionExpiry = b.sessionExpiry;
        this.clientIdPrefix = b.clientIdPrefix != null ? b.clientIdPrefix : b.topicPrefix.replace('/', '.');
        this.instanceId = b.instanceId;
        this.maxInFlight = b.maxInFlight;
        this.maxMessageSize = b.maxMessageSize;
        this.connectTimeout = b.connectTimeout;
        this.clientCustomizer = b.clientCustomizer;
    }

    /** A builder with the defaults: {@code localhost:1883}, MQTT 5, prefix {@code courier}, QoS 1. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.host = host;
        b.port = port;
        b.tls = tls;
        b.username = username;
        b.password = password;
        b.version = version;
        b.topicPrefix = topicPrefix;
        b.qos = qos;
        b.sessionExpiry = sessionExpiry;
        b.clientIdPrefix = clientIdPrefix;
        b.instanceId = instanceId;
        b.maxInFlight = maxInFlight;
        b.maxMessageSize = maxMessageSize;
        b.connectTimeout = connectTimeout;
        b.clientCustomizer = clientCustomizer;
        return b;
    }

    /**
     * Reads an {@code mqtt://} or {@code mqtts://} URI (see the class comment).
     *
     * @throws IllegalArgumentException naming every bad part of the URI
     */
    public static MqttConfig fromUri(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("mqtt") && !scheme.equals("mqtts")) {
            throw new IllegalArgumentException("MQTT URI must start with mqtt:// or mqtts://, was '" + uri.getScheme() + "'");
        }
        Builder b = builder().tls(scheme.equals("mqtts"));
        if (uri.getHost() != null) {
            b.host(uri.getHost());
        }
        if (uri.getPort() > 0) {
            b.port(uri.getPort());
        }
        if (uri.getRawUserInfo() != null) {
            String[] ui = uri.getRawUserInfo().split(":", 2);
            b.username(decode(ui[0]));
            if (ui.length > 1) {
                b.password(decode(ui[1]));
            }
        }
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, String> e : query(uri).entrySet()) {
            String v = e.getValue();
            try {
                switch (e.getKey()) {
                    case "version":
                        b.version(v.equals("3") || v.equals("3.1.1") || v.equals("311") ? Version.V3_1_1
                                : v.equals("5") || v.equals("5.0") ? Version.V5 : null);
                        if (b.version == null) {
                            bad.add("version must be 3 or 5, was '" + v + "'");
                            b.version = Version.V5;
                        }
                        break;
                    case "prefix":
                        b.topicPrefix(v);
                        break;
                    case "qos":
                        b.qos(Integer.parseInt(v));
                        break;
                    case "sessionExpiry":
                        b.sessionExpiry(Duration.parse(v));
                        break;
                    case "clientId":
                        b.clientIdPrefix(v);
                        break;
                    case "instanceId":
                        b.instanceId(v);
                        break;
                    case "maxInFlight":
                        b.maxInFlight(Integer.parseInt(v));
                        break;
                    case "maxMessageSize":
                        b.maxMessageSize(Integer.parseInt(v));
                        break;
                    case "connectTimeout":
                        b.connectTimeout(Duration.parse(v));
                        break;
                    default:
                        bad.add("unknown URI parameter '" + e.getKey() + "' (known: version, prefix, qos, sessionExpiry,"
                                + " clientId, instanceId, maxInFlight, maxMessageSize, connectTimeout)");
                }
            } catch (RuntimeException ex) {
                bad.add("URI parameter " + e.getKey() + "='" + v + "' is not valid: " + ex.getMessage());
            }
        }
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("bad MQTT URI " + redact(uri) + ": " + String.join("; ", bad));
        }
        return b.build();
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> m = new LinkedHashMap<>();
        String q = uri.getRawQuery();
        if (q == null || q.isEmpty()) {
            return m;
        }
        for (String part : q.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            String[] kv = part.split("=", 2);
            m.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
        }
        return m;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    static String redact(URI uri) {
        return (uri.getScheme() + "://" + (uri.getHost() == null ? "" : uri.getHost())
                + (uri.getPort() > 0 ? ":" + uri.getPort() : ""));
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public boolean tls() {
        return tls;
    }

    /** The user name, or null. */
    public String username() {
        return username;
    }

    /** True when a password is set (the password itself is only handed to the MQTT client). */
    public boolean hasPassword() {
        return password != null;
    }

    String password() {
        return password;
    }

    public Version version() {
        return version;
    }

    /** The first topic levels of every Courier topic, e.g. {@code courier} or {@code acme/prod}. */
    public String topicPrefix() {
        return topicPrefix;
    }

    /** 1 (at least once, the default) or 2 (exactly once between client and broker). */
    public int qos() {
        return qos;
    }

    public Duration sessionExpiry() {
        return sessionExpiry;
    }

    /** The start of every client id this transport uses; defaults to the topic prefix with dots for slashes. */
    public String clientIdPrefix() {
        return clientIdPrefix;
    }

    /** A fixed instance id overriding the bus's, or null to use the bus's. */
    public String instanceId() {
        return instanceId;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    public int maxMessageSize() {
        return maxMessageSize;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The hook on each HiveMQ client builder, or null.
     *
     * @return what {@link Builder#clientCustomizer} set
     */
    public java.util.function.Consumer<? super com.hivemq.client.mqtt.MqttClientBuilderBase<?>> clientCustomizer() {
        return clientCustomizer;
    }

    @Override
    public String toString() {
        return "MqttConfig{" + (tls ? "mqtts" : "mqtt") + "://" + host + ":" + port + ", version=" + version
                + ", topicPrefix=" + topicPrefix + ", qos=" + qos + ", sessionExpiry=" + sessionExpiry
                + ", clientIdPrefix=" + clientIdPrefix + (instanceId != null ? ", instanceId=" + instanceId : "")
                + ", maxInFlight=" + maxInFlight + ", maxMessageSize=" + maxMessageSize
                + (username != null ? ", username=" + username : "") + (password != null ? ", password=***" : "") + "}";
    }

    /** Collects settings; {@link #build()} checks them all and names each bad one. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = -1;
        private boolean tls;
        private String username;
        private String password;
        private Version version = Version.V5;
        private String topicPrefix = DEFAULT_TOPIC_PREFIX;
        private int qos = DEFAULT_QOS;
        private Duration sessionExpiry = DEFAULT_SESSION_EXPIRY;
        private String clientIdPrefix;
        private String instanceId;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private java.util.function.Consumer<? super com.hivemq.client.mqtt.MqttClientBuilderBase<?>> clientCustomizer;

        private Builder() {
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        /** The port; by default 1883, or 8883 with TLS. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** TLS with the JVM's default trust store ({@code mqtts://}). */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        public Builder username(String username) {
            this.username = username;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder version(Version version) {
            this.version = version;
            return this;
        }

        public Builder topicPrefix(String topicPrefix) {
            this.topicPrefix = topicPrefix;
            return this;
        }

        public Builder qos(int qos) {
            this.qos = qos;
            return this;
        }

        public Builder sessionExpiry(Duration sessionExpiry) {
            this.sessionExpiry = sessionExpiry;
            return this;
        }

        public Builder clientIdPrefix(String clientIdPrefix) {
            this.clientIdPrefix = clientIdPrefix;
            return this;
        }

        /** A stable instance id for this process, overriding the bus's (useful when the bus's is random). */
        public Builder instanceId(String instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
            return this;
        }

        public Builder maxMessageSize(int maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /**
         * A hook on the HiveMQ client builder (issue 15), called for every client Courier builds — one per
         * connection, since Courier builds a fresh client for each (re)connect — after Courier's own
         * settings: a TLS config with your trust store, a transport config (proxy, local address, MQTT over
         * WebSocket), extra connected listeners. Mutate the builder you are given (an
         * {@code Mqtt5ClientBuilder} or {@code Mqtt3ClientBuilder}). The client identifier, the executor
         * config (Courier's threads, which stop on close) and automatic reconnect (off: Courier reconnects
         * itself) are set back to Courier's afterwards. An exception from the hook fails the connect.
         *
         * @param customizer called with each client builder
         * @return this builder
         */
        public Builder clientCustomizer(
                java.util.function.Consumer<? super com.hivemq.client.mqtt.MqttClientBuilderBase<?>> customizer) {
            this.clientCustomizer = customizer;
            return this;
        }

        /**
         * Checks every setting and builds.
         *
         * @throws IllegalArgumentException listing every bad setting by name
         */
        public MqttConfig build() {
            List<String> bad = new ArrayList<>();
            if (host == null || host.isBlank()) {
                bad.add("host must not be empty");
            }
            if (port != -1 && (port < 1 || port > 65_535)) {
                bad.add("port must be 1..65535, was " + port);
            }
            if (version == null) {
                bad.add("version must not be null");
            }
            String topicProblem = Topics.checkPrefix(topicPrefix);
            if (topicProblem != null) {
                bad.add("topicPrefix " + topicProblem);
            }
            if (qos != 1 && qos != 2) {
                bad.add("qos must be 1 or 2 (Courier never publishes at QoS 0), was " + qos);
            }
            if (sessionExpiry == null || sessionExpiry.isNegative() || sessionExpiry.isZero()
                    || sessionExpiry.getSeconds() > 0xFFFF_FFFEL) {
                bad.add("sessionExpiry must be between 1 second and 136 years, was " + sessionExpiry);
            }
            if (clientIdPrefix != null && (clientIdPrefix.isEmpty() || Topics.hasWildcardOrSlash(clientIdPrefix))) {
                bad.add("clientIdPrefix must be non-empty without '+', '#' or '/', was '" + clientIdPrefix + "'");
            }
            if (instanceId != null && (instanceId.isEmpty() || Topics.hasWildcardOrSlash(instanceId))) {
                bad.add("instanceId must be non-empty without '+', '#' or '/', was '" + instanceId + "'");
            }
            if (maxInFlight < 1 || maxInFlight > 65_535) {
                bad.add("maxInFlight must be 1..65535, was " + maxInFlight);
            }
            if (maxMessageSize < 1024) {
                bad.add("maxMessageSize must be at least 1024 bytes, was " + maxMessageSize);
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                bad.add("connectTimeout must be positive, was " + connectTimeout);
            }
            if (password != null && username == null) {
                bad.add("password is set without a username");
            }
            if (!bad.isEmpty()) {
                throw new IllegalArgumentException("invalid MQTT configuration: " + String.join("; ", bad));
            }
            Objects.requireNonNull(version);
            return new MqttConfig(this);
        }
    }
}
