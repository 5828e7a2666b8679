package dev.courier.kafka;

import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link KafkaTransport} reaches its cluster and names things: an immutable record, built with
 * {@link #builder(String...)} or parsed with {@link #fromUri(String)}. {@link #toString()} never shows a
 * password or a secret-looking client property.
 *
 * @param bootstrap         {@code host:port} of one or more brokers (the client finds the others)
 * @param prefix            the first segment of every topic and consumer group Courier makes (a namespace)
 * @param partitions        partitions of each topic Courier creates (at least 1); instances of a service share
 *                          the work by partition, so it bounds how many instances work at once on one address
 * @param replicationFactor replicas of each topic Courier creates; -1 takes the broker's default
 * @param username          SASL user, or null for none
 * @param password          SASL password, or null
 * @param saslMechanism     {@code PLAIN}, {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512} (with a username)
 * @param tls               whether to speak TLS ({@code SSL} / {@code SASL_SSL}); trust and key material come
 *                          from {@code sslContext}, else from {@code ssl.*} client properties, else the JVM's
 * @param sslContext        the caller's TLS context (trust managers for a private CA, key managers for mutual
 *                          TLS), used for every connection through {@link KafkaSslEngineFactory}; null for
 *                          kafka-clients' own ({@code ssl.*} properties). A context implies {@code tls}
 * @param publishWindow     how many publishes may wait for the broker's acknowledgement at once
 * @param linger            how long the producer waits to fill a batch ({@code linger.ms})
 * @param properties        raw kafka-clients properties passed to the producer, the consumers and the admin
 *                          client (last word over Courier's own, except the settings its guarantees need:
 *                          {@code acks}, idempotence, auto commit)
 */
public record KafkaConfig(List<String> bootstrap, String prefix, int partitions, int replicationFactor, String username,
                          String password, String saslMechanism, boolean tls, SSLContext sslContext, int publishWindow,
                          Duration linger, Map<String, String> properties) {

    /** The broker port when a URI names none: 9092. */
    public static final int DEFAULT_PORT = 9092;

    /** Client properties that give TLS material or its factory: an {@code sslContext} excludes them. */
    private static final java.util.Set<String> SSL_MATERIAL = java.util.Set.of("ssl.engine.factory.class",
            "ssl.truststore.location", "ssl.truststore.certificates", "ssl.truststore.type", "ssl.truststore.password",
            "ssl.keystore.location", "ssl.keystore.certificate.chain", "ssl.keystore.key", "ssl.keystore.type",
            "ssl.keystore.password", "ssl.key.password", "ssl.provider", "ssl.protocol", "ssl.keymanager.algorithm",
            "ssl.trustmanager.algorithm", "ssl.secure.random.implementation");

    /**
     * Checks every field and names every problem at once.
     *
     * @param bootstrap         {@code host:port} of one or more brokers
     * @param prefix            the first segment of every topic and group name
     * @param partitions        partitions of each topic Courier creates
     * @param replicationFactor replicas of each topic Courier creates, -1 for the broker's default
     * @param username          SASL user, or null
     * @param password          SASL password, or null
     * @param saslMechanism     the SASL mechanism, or null without a user
     * @param tls               whether to speak TLS (true anyway with an {@code sslContext})
     * @param sslContext        the caller's TLS context, or null for kafka-clients' {@code ssl.*} properties
     * @param publishWindow     publishes that may wait for their acknowledgement at once
     * @param linger            the producer's {@code linger.ms}
     * @param properties        raw kafka-clients properties
     * @throws ConfigurationException listing what is wrong
     */
    public KafkaConfig {
        bootstrap = List.copyOf(Objects.requireNonNull(bootstrap, "bootstrap"));
        properties = Map.copyOf(Objects.requireNonNull(properties, "properties"));
        Objects.requireNonNull(linger, "linger");
        tls = tls || sslContext != null;
        List<String> problems = new ArrayList<>();
        if (bootstrap.isEmpty()) {
            problems.add("bootstrap: at least one host:port");
        }
        if (prefix == null || !prefix.matches("[A-Za-z0-9_-]{1,40}")) {
            problems.add("prefix: 1 to 40 of A-Z a-z 0-9 _ -, was '" + prefix + "'");
        }
        if (partitions < 1 || partitions > 10_000) {
            problems.add("partitions: 1 to 10000, was " + partitions);
        }
        if (replicationFactor != -1 && (replicationFactor < 1 || replicationFactor > 100)) {
            problems.add("replicationFactor: -1 (the broker's default) or 1 to 100, was " + replicationFactor);
        }
        if (publishWindow < 1) {
            problems.add("publishWindow: at least 1, was " + publishWindow);
        }
        if (saslMechanism != null && !List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512").contains(saslMechanism)) {
            problems.add("sasl: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, was '" + saslMechanism + "'");
        }
        if (username != null && password == null) {
            problems.add("a SASL username needs a password");
        }
        if (sslContext != null) {
            for (String k : properties.keySet()) {
                if (SSL_MATERIAL.contains(k)) {
                    problems.add("sslContext: the trust and key material come from the SSLContext; the client property "
                            + k + " would be ignored or replace it (give one or the other)");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
    }

    /**
     * A builder with Courier's defaults: prefix {@code courier}, 4 partitions, the broker's replication
     * factor, no SASL, no TLS, a window of 1000 publishes, {@code linger.ms=1}.
     *
     * @param bootstrap {@code host:port} of one or more brokers
     * @return the builder
     */
    public static Builder builder(String... bootstrap) {
        return new Builder(List.of(bootstrap));
    }

    /**
     * Parses {@code kafka://[user:password@]host:port[,host2:port2]?param=value&...}. Parameters:
     * {@code prefix}, {@code partitions}, {@code replicationFactor}, {@code sasl} (mechanism),
     * {@code tls} (true/false), {@code publishWindow}, {@code linger} (Courier's duration syntax), and any
     * {@code kafka.<client property>} passed to kafka-clients as is (e.g. {@code kafka.compression.type=lz4},
     * {@code kafka.ssl.truststore.location=...}). Every problem is named at once.
     *
     * @param uri the URI
     * @return the configuration
     * @throws ConfigurationException naming every problem (the URI redacted)
     */
    public static KafkaConfig fromUri(String uri) {
        TransportUri u = TransportUri.parse(uri);
        if (!"kafka".equals(u.scheme())) {
            u.problem("uri: scheme must be kafka, was " + u.scheme());
        }
        List<String> hosts = new ArrayList<>();
        for (TransportUri.HostPort hp : u.hosts(DEFAULT_PORT)) {
            hosts.add(hp.toString());
        }
        Builder b = new Builder(hosts);
        b.prefix(u.string("prefix", b.prefix));
        b.partitions(u.integer("partitions", b.partitions, 1, 10_000));
        b.replicationFactor(u.integer("replicationFactor", b.replicationFactor, -1, 100));
        b.publishWindow(u.integer("publishWindow", b.publishWindow, 1, 1_000_000));
        b.linger(u.duration("linger", b.linger));
        b.tls(u.bool("tls", false));
        String mechanism = u.string("sasl", null);
        if (u.username() != null) {
            b.credentials(u.username(), u.password() == null ? "" : u.password());
        }
        if (mechanism != null) {
            b.saslMechanism(mechanism.toUpperCase(Locale.ROOT));
        }
        for (String k : u.params().keySet()) {
            if (k.startsWith("kafka.") && k.length() > 6) {
                b.property(k.substring(6), u.string(k, ""));
            }
        }
        u.check("Kafka");
        try {
            return b.build();
        } catch (ConfigurationException e) {
            throw new ConfigurationException("invalid Kafka URI " + u.redacted() + ": " + String.join("; ", e.problems()));
        }
    }

    /** @return the bootstrap list as kafka-clients takes it ({@code host:port,host:port}) */
    public String bootstrapServers() {
        return String.join(",", bootstrap);
    }

    /** @return the security protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL */
    public String securityProtocol() {
        return username == null ? (tls ? "SSL" : "PLAINTEXT") : (tls ? "SASL_SSL" : "SASL_PLAINTEXT");
    }

    /**
     * The client properties that hand the {@link #sslContext()} to kafka-clients: {@code ssl.engine.factory.class}
     * ({@link KafkaSslEngineFactory}) and the context object under {@value KafkaSslEngineFactory#CONTEXT_PROPERTY};
     * empty without a context.
     */
    Map<String, Object> sslContextProperties() {
        return sslContext == null ? Map.of() : Map.of("ssl.engine.factory.class", KafkaSslEngineFactory.class,
                KafkaSslEngineFactory.CONTEXT_PROPERTY, sslContext);
    }

    /** @return {@code kafka://host:port,...?prefix=...}: never credentials */
    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        properties.forEach((k, v) -> shown.put(k, secret(k) ? "***" : v));
        return "kafka://" + (username == null ? "" : username + ":***@") + bootstrapServers() + "?prefix=" + prefix
                + (tls ? "&tls=true" : "") + (sslContext != null ? " (custom SSLContext)" : "")
                + (shown.isEmpty() ? "" : " " + shown);
    }

    static boolean secret(String property) {
        String k = property.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.endsWith(".key")
                || k.contains("token");
    }

    /** Builds a {@link KafkaConfig}; every setter returns this builder. */
    public static final class Builder {
        private final List<String> bootstrap;
        private String prefix = "courier";
        private int partitions = 4;
        private int replicationFactor = -1;
        private String username;
        private String password;
        private String saslMechanism;
        private boolean tls;
        private SSLContext sslContext;
        private int publishWindow = 1000;
        private Duration linger = Duration.ofMillis(1);
        private final Map<String, String> properties = new LinkedHashMap<>();

        private Builder(List<String> bootstrap) {
            this.bootstrap = new ArrayList<>(bootstrap);
        }

        /**
         * Sets prefix.
         *
         * @param prefix the first segment of every topic and group name
         * @return this builder
         */
        public Builder prefix(String prefix) {
            this.prefix = prefix;
            return this;
        }

        /**
         * Sets partitions.
         *
         * @param partitions partitions of each topic Courier creates
         * @return this builder
         */
        public Builder partitions(int partitions) {
            this.partitions = partitions;
            return this;
        }

        /**
         * Sets replicationFactor.
         *
         * @param replicationFactor replicas of each topic Courier creates, -1 for the broker's default
         * @return this builder
         */
        public Builder replicationFactor(int replicationFactor) {
            this.replicationFactor = replicationFactor;
            return this;
        }

        /**
         * SASL credentials (mechanism PLAIN unless {@link #saslMechanism} says otherwise).
         *
         * @param username the user
         * @param password the password
         * @return this
         */
        public Builder credentials(String username, String password) {
            this.username = username;
            this.password = password;
            if (saslMechanism == null) {
                saslMechanism = "PLAIN";
            }
            return this;
        }

        /**
         * Sets mechanism.
         *
         * @param mechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
         * @return this builder
         */
        public Builder saslMechanism(String mechanism) {
            this.saslMechanism = mechanism;
            return this;
        }

        /**
         * Sets tls.
         *
         * @param tls whether to speak TLS
         * @return this builder
         */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /**
         * The TLS context for every connection to the cluster — its trust managers (a private CA) and key
         * managers (a client certificate for mutual TLS) — as AmqpConfig and WebSocketConfig take one. Implies
         * {@link #tls}; excludes the {@code ssl.*} trust and key store properties. kafka-clients gets it through
         * {@link KafkaSslEngineFactory}; the broker's host name is checked unless the client property
         * {@code ssl.endpoint.identification.algorithm} is set empty.
         *
         * @param sslContext the context, or null for kafka-clients' own ({@code ssl.*} properties, else the JVM's trust)
         * @return this builder
         */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            return this;
        }

        /**
         * Sets publishWindow.
         *
         * @param publishWindow how many publishes may wait for their acknowledgement
         * @return this builder
         */
        public Builder publishWindow(int publishWindow) {
            this.publishWindow = publishWindow;
            return this;
        }

        /**
         * Sets linger.
         *
         * @param linger the producer's {@code linger.ms}
         * @return this builder
         */
        public Builder linger(Duration linger) {
            this.linger = linger;
            return this;
        }

        /**
         * A raw kafka-clients property for the producer, consumers and admin client (e.g.
         * {@code ssl.truststore.location}).
         *
         * @param name  the property
         * @param value its value
         * @return this
         */
        public Builder property(String name, String value) {
            properties.put(name, value);
            return this;
        }

        /**
         * @return the configuration
         * @throws ConfigurationException naming every problem
         */
        public KafkaConfig build() {
            return new KafkaConfig(bootstrap, prefix, partitions, replicationFactor, username, password,
                    username == null ? null : saslMechanism, tls, sslContext, publishWindow, linger, properties);
        }
    }
}
