package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientBuilderBase;
import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;
import dev.courier.spi.support.TransportUri.HostPort;

import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The immutable settings of an {@link MqttTransport}: build one with {@link #builder()}, or read a URI
 * with {@link #fromUri(String)}. The constructor checks every setting and names each bad one in one
 * {@link ConfigurationException}.
 *
 * <p>URI form (one parser, {@link TransportUri}): {@code mqtt[s]://[user[:password]@]host[:port][,host2[:port]...]
 * [?version=3|5&prefix=a/b&qos=1|2&sessionExpiry=1h&clientId=...&instanceId=...&maxInFlight=1000
 * &maxMessageSize=4194304&connectTimeout=10s]}. Durations take Courier's one syntax ({@code PT10M},
 * {@code 10m}, {@code 500ms}, {@code 5s}). Several hosts are tried in order on every connect and
 * reconnect. The password never appears in {@link #toString()}, logs, errors or {@code describe()}.
 *
 * @param addresses           the brokers, tried in order on every connect; at least one
 * @param tls                 whether connections use TLS ({@code mqtts://}); implied by trust or key managers
 * @param trustManagerFactory the trust managers for TLS (a custom CA), or null for the JVM's default trust store
 * @param keyManagerFactory   the key managers for TLS client authentication (mTLS), or null for none
 * @param hostnameVerifier    how TLS checks the broker's host name, or null for the client's default (HTTPS rules)
 * @param username            the user name, or null; never logged
 * @param password            the password, or null (needs a user name); never logged or shown
 * @param version             the MQTT protocol version
 * @param topicPrefix         the first topic levels of every Courier topic, e.g. {@code courier} or {@code acme/prod}
 * @param qos                 the publish QoS: 1 (at least once) or 2 (exactly once between client and broker)
 * @param sessionExpiry       how long the broker keeps an offline session (and its share of a shared group)
 * @param clientIdPrefix      the start of every client id; null gives the topic prefix with dots for slashes
 * @param instanceId          a fixed instance id overriding the bus's, or null to use the bus's
 * @param maxInFlight         the most publishes waiting for their PUBACK at once; beyond it a publish waits
 *                            for room up to the publish timeout
 * @param maxMessageSize      the largest encoded message, in bytes, Courier must be able to send; start fails
 *                            when the broker's maximum packet size is smaller
 * @param connectTimeout      how long one connect attempt, and each subscribe or record round trip, may take
 * @param clientCustomizer    a hook on each HiveMQ client builder (see {@link Builder#clientCustomizer}), or null
 */
public record MqttConfig(List<HostPort> addresses, boolean tls, TrustManagerFactory trustManagerFactory,
                         KeyManagerFactory keyManagerFactory, HostnameVerifier hostnameVerifier, String username,
                         String password, Version version, String topicPrefix, int qos, Duration sessionExpiry,
                         String clientIdPrefix, String instanceId, int maxInFlight, int maxMessageSize,
                         Duration connectTimeout, Consumer<? super MqttClientBuilderBase<?>> clientCustomizer) {

    /** The MQTT protocol version to speak. */
    public enum Version {
        /** MQTT 5: binary CloudEvents (user properties), reason codes, session expiry. The default. */
        V5,
        /** MQTT 3.1.1: structured CloudEvents JSON; no reason codes, so unroutable commands are not detected. */
        V3_1_1
    }

    /** The broker host by default. */
    public static final String DEFAULT_HOST = "localhost";
    /** The port by default without TLS. */
    public static final int DEFAULT_PORT = 1883;
    /** The port by default with TLS ({@code mqtts://}). */
    public static final int DEFAULT_TLS_PORT = 8883;
    /** The first topic level of every Courier topic by default. */
    public static final String DEFAULT_TOPIC_PREFIX = "courier";
    /** The publish QoS by default: at least once. */
    public static final int DEFAULT_QOS = 1;
    /** How long the broker keeps an offline instance's session (and so its share of a shared group). */
    public static final Duration DEFAULT_SESSION_EXPIRY = Duration.ofHours(1);
    /** Publishes waiting for their acknowledgement at once, by default. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;
    /** The largest encoded message Courier must be able to send; checked against the broker at start. */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 4 * 1024 * 1024;
    /** How long a connect (and each subscribe round trip) may take by default. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The protocol's limit for a topic name, in UTF-8 bytes. */
    public static final int MAX_TOPIC_BYTES = 65_535;

    /**
     * Checks every setting, fills the client id prefix, and copies the address list (each component is
     * described in the class comment).
     *
     * @param addresses see the class comment
     * @param tls see the class comment
     * @param trustManagerFactory see the class comment
     * @param keyManagerFactory see the class comment
     * @param hostnameVerifier see the class comment
     * @param username see the class comment
     * @param password see the class comment
     * @param version see the class comment
     * @param topicPrefix see the class comment
     * @param qos see the class comment
     * @param sessionExpiry see the class comment
     * @param clientIdPrefix see the class comment
     * @param instanceId see the class comment
     * @param maxInFlight see the class comment
     * @param maxMessageSize see the class comment
     * @param connectTimeout see the class comment
     * @param clientCustomizer see the class comment
     * @throws ConfigurationException naming every bad setting at once (never the password)
     */
    public MqttConfig {
        List<String> bad = new ArrayList<>();
        if (addresses == null || addresses.isEmpty()) {
            bad.add("addresses: at least one broker host is needed");
        } else {
            for (HostPort a : addresses) {
                if (a == null || a.host() == null || a.host().isBlank()) {
                    bad.add("host must not be empty");
                } else if (a.port() < 1 || a.port() > 65_535) {
                    bad.add("port must be 1..65535, was " + a.port() + " for " + a.host());
                }
            }
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
            throw new ConfigurationException(bad.stream().map(p -> "MQTT configuration: " + p).toList());
        }
        addresses = List.copyOf(addresses);
        tls = tls || trustManagerFactory != null || keyManagerFactory != null;
        if (clientIdPrefix == null) {
            clientIdPrefix = topicPrefix.replace('/', '.');
        }
    }

    /** A builder with the defaults: {@code localhost:1883}, MQTT 5, prefix {@code courier}, QoS 1.
     *  @return a new builder; nothing is checked until {@link Builder#build()} */
    public static Builder builder() {
        return new Builder();
    }

    /** Reads an {@code mqtt://} or {@code mqtts://} URI (see the class comment).
     *  @param uri the URI; never null
     *  @return the configuration
     *  @throws ConfigurationException naming every bad part of the URI (redacted: never the password) */
    public static MqttConfig fromUri(String uri) {
        return MqttUri.parse(uri).build();
    }

    /** A builder starting from this configuration.
     *  @return a new builder with every setting of this configuration */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.addresses.addAll(addresses);
        b.tls = tls;
        b.trustManagerFactory = trustManagerFactory;
        b.keyManagerFactory = keyManagerFactory;
        b.hostnameVerifier = hostnameVerifier;
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

    /** @return the first broker's host */
    public String host() {
        return addresses.get(0).host();
    }

    /** @return the first broker's port */
    public int port() {
        return addresses.get(0).port();
    }

    /** @return whether a password is set (the password itself only goes to the MQTT client) */
    public boolean hasPassword() {
        return password != null;
    }

    /** @return the brokers as {@code host:port,host:port} (for logs and failures; no credentials) */
    public String brokers() {
        StringBuilder s = new StringBuilder();
        for (HostPort a : addresses) {
            s.append(s.length() == 0 ? "" : ",").append(a);
        }
        return s.toString();
    }

    @Override
    public String toString() {
        return "MqttConfig{" + (tls ? "mqtts" : "mqtt") + "://" + brokers() + ", version=" + version
                + ", topicPrefix=" + topicPrefix + ", qos=" + qos + ", sessionExpiry=" + sessionExpiry
                + ", clientIdPrefix=" + clientIdPrefix + (instanceId != null ? ", instanceId=" + instanceId : "")
                + ", maxInFlight=" + maxInFlight + ", maxMessageSize=" + maxMessageSize
                + (trustManagerFactory != null ? ", customTrust" : "") + (keyManagerFactory != null ? ", clientCert" : "")
                + (username != null ? ", username=" + username : "") + (password != null ? ", password=***" : "") + "}";
    }

    /** Collects settings; {@link #build()} checks them all and names each bad one. Not thread-safe. */
    public static final class Builder {
        private final List<HostPort> addresses = new ArrayList<>();
        private String host = DEFAULT_HOST;
        private int port = -1;
        private boolean tls;
        private TrustManagerFactory trustManagerFactory;
        private KeyManagerFactory keyManagerFactory;
        private HostnameVerifier hostnameVerifier;
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
        private Consumer<? super MqttClientBuilderBase<?>> clientCustomizer;

        private Builder() {
        }

        /** One broker host (default {@value MqttConfig#DEFAULT_HOST}); replaces any address list.
         *  @param host not blank
         *  @return this builder */
        public Builder host(String host) {
            this.addresses.clear();
            this.host = host;
            return this;
        }

        /** The port of {@link #host}; by default 1883, or 8883 with TLS. Replaces any address list.
         *  @param port 1 to 65535
         *  @return this builder */
        public Builder port(int port) {
            if (!addresses.isEmpty()) {
                host = addresses.get(0).host();
                addresses.clear();
            }
            this.port = port;
            return this;
        }

        /** Several brokers (a cluster or fail-over pair), tried in order on every connect and reconnect.
         *  @param addresses at least one; replaces {@link #host}/{@link #port}
         *  @return this builder */
        public Builder addresses(List<HostPort> addresses) {
            this.addresses.clear();
            this.addresses.addAll(addresses);
            return this;
        }

        /** TLS with the JVM's default trust store ({@code mqtts://}), unless trust managers are set.
         *  @param tls true for TLS
         *  @return this builder */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /** Trust managers for TLS: trust a private CA (implies TLS).
         *  @param trustManagers initialised trust managers, or null for the JVM's default
         *  @return this builder */
        public Builder trustManagerFactory(TrustManagerFactory trustManagers) {
            this.trustManagerFactory = trustManagers;
            return this;
        }

        /** Key managers for TLS client authentication, mTLS (implies TLS).
         *  @param keyManagers initialised key managers holding the client certificate, or null for none
         *  @return this builder */
        public Builder keyManagerFactory(KeyManagerFactory keyManagers) {
            this.keyManagerFactory = keyManagers;
            return this;
        }

        /** How TLS checks the broker's host name (default: the client's HTTPS rules).
         *  @param verifier the verifier, or null for the default
         *  @return this builder */
        public Builder hostnameVerifier(HostnameVerifier verifier) {
            this.hostnameVerifier = verifier;
            return this;
        }

        /** The user name (default none). Never logged.
         *  @param username the name, or null for none
         *  @return this builder */
        public Builder username(String username) {
            this.username = username;
            return this;
        }

        /** The password (default none); needs a user name. Never logged.
         *  @param password the password, or null for none
         *  @return this builder */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The protocol version (default {@link Version#V5}).
         *  @param version never null
         *  @return this builder */
        public Builder version(Version version) {
            this.version = version;
            return this;
        }

        /** The first topic levels of every Courier topic (default {@value MqttConfig#DEFAULT_TOPIC_PREFIX}).
         *  @param topicPrefix one or more levels, without wildcards, not starting with {@code $}
         *  @return this builder */
        public Builder topicPrefix(String topicPrefix) {
            this.topicPrefix = topicPrefix;
            return this;
        }

        /** The publish QoS (default 1); Courier never publishes at QoS 0.
         *  @param qos 1 or 2
         *  @return this builder */
        public Builder qos(int qos) {
            this.qos = qos;
            return this;
        }

        /** How long the broker keeps an offline session (default 1 hour).
         *  @param sessionExpiry 1 second to 136 years
         *  @return this builder */
        public Builder sessionExpiry(Duration sessionExpiry) {
            this.sessionExpiry = sessionExpiry;
            return this;
        }

        /** The start of every client id (default: the topic prefix with dots for slashes).
         *  @param clientIdPrefix non-empty, without {@code +}, {@code #} or {@code /}; null for the default
         *  @return this builder */
        public Builder clientIdPrefix(String clientIdPrefix) {
            this.clientIdPrefix = clientIdPrefix;
            return this;
        }

        /** A stable instance id for this process, overriding the bus's (useful when the bus's is random).
         *  @param instanceId non-empty, without {@code +}, {@code #} or {@code /}; null for the bus's
         *  @return this builder */
        public Builder instanceId(String instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /** Publishes waiting for their acknowledgement at once (default {@value MqttConfig#DEFAULT_MAX_IN_FLIGHT}).
         *  @param maxInFlight 1 to 65535
         *  @return this builder */
        public Builder maxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
            return this;
        }

        /** The largest encoded message Courier must be able to send, in bytes (default 4 MiB).
         *  @param maxMessageSize at least 1024
         *  @return this builder */
        public Builder maxMessageSize(int maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
            return this;
        }

        /** How long one connect attempt and each subscribe round trip may take (default 10 s). How long start keeps
         *  retrying is the bus's start timeout, not this.
         *  @param connectTimeout positive
         *  @return this builder */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        /** A hook on the HiveMQ client builder, called for every client Courier builds — one per connection attempt —
         *  after Courier's own settings: a transport config (proxy, local address, MQTT over WebSocket), extra
         *  listeners. The client identifier, the executor config and automatic reconnect (off: Courier reconnects
         *  itself) are set back to Courier's afterwards. An exception from the hook fails the connect attempt.
         *  @param customizer called with each client builder ({@code Mqtt5ClientBuilder} or
         *      {@code Mqtt3ClientBuilder})
         *  @return this builder */
        public Builder clientCustomizer(Consumer<? super MqttClientBuilderBase<?>> customizer) {
            this.clientCustomizer = customizer;
            return this;
        }

        /** Checks every setting and builds.
         *  @return the immutable configuration
         *  @throws ConfigurationException listing every bad setting by name */
        public MqttConfig build() {
            boolean secure = tls || trustManagerFactory != null || keyManagerFactory != null;
            List<HostPort> list = addresses.isEmpty() && host != null && !host.isBlank()
                    ? List.of(new HostPort(host, port != -1 ? port : secure ? DEFAULT_TLS_PORT : DEFAULT_PORT))
                    : List.copyOf(addresses);
            return new MqttConfig(list, tls, trustManagerFactory, keyManagerFactory, hostnameVerifier, username,
                    password, version, topicPrefix, qos, sessionExpiry, clientIdPrefix, instanceId, maxInFlight,
                    maxMessageSize, connectTimeout, clientCustomizer);
        }
    }
}
