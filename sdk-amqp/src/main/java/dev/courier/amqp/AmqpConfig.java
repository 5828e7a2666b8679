package dev.courier.amqp;

import com.rabbitmq.client.ConnectionFactory;
import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The immutable settings of one {@link AmqpTransport}: where and how to connect (an address list,
 * credentials, virtual host, TLS with an optional custom {@link SSLContext} for a private CA or mTLS)
 * and Courier's names and limits on the broker. Made by {@link #builder()} or {@link #fromUri(String)};
 * both check every setting and fail with one {@link ConfigurationException} naming each bad one. A
 * record built directly with its constructor is checked by {@link AmqpTransport#of(AmqpConfig)}.
 * {@link #toString()} never shows the password.
 *
 * <p><b>Start timeout.</b> {@code startTimeout} is null by default: {@code start()} then keeps trying
 * a broker that is down for the bus's start timeout ({@code MessageBus.Builder.startTimeout}, given
 * to the transport as {@code TransportContext.startTimeout()}). A value set here is an explicit
 * override for this transport and wins over the bus's.
 *
 * @param addresses         the broker nodes as {@code host:port}, tried in order on each connect
 * @param username          the user
 * @param password          the password (never logged)
 * @param virtualHost       the virtual host, not encoded ("/" by default)
 * @param tls               whether to connect with TLS (amqps), host names verified
 * @param sslContext        the TLS context (custom trust and key managers: private CA, mTLS); null for
 *                          the JVM default; setting one implies {@code tls}
 * @param namespace         a prefix of every exchange and queue name ("" for none)
 * @param eventsExchange    the events topic exchange
 * @param commandsExchange  the commands direct exchange
 * @param queueType         classic or quorum durable queues
 * @param prefetch          unacked messages per consumer; 0 uses the bus's prefetch
 * @param confirmWindow     publishes waiting for their confirm at most
 * @param maxMessageSize    the largest body in bytes, in and out
 * @param startTimeout      how long start() retries a broker that is down; null: the bus's start timeout
 * @param heartbeat         the AMQP heartbeat
 * @param maxReconnectDelay the longest pause between reconnect attempts
 * @param connectionName    the connection name in RabbitMQ's UI; null for courier-service-instance
 * @param customizer        a hook on amqp-client's ConnectionFactory (see
 *                          {@link Builder#connectionFactory(Consumer)}); null for none
 */
public record AmqpConfig(
        List<String> addresses,
        String username,
        String password,
        String virtualHost,
        boolean tls,
        SSLContext sslContext,
        String namespace,
        String eventsExchange,
        String commandsExchange,
        AmqpTransport.QueueType queueType,
        int prefetch,
        int confirmWindow,
        int maxMessageSize,
        Duration startTimeout,
        Duration heartbeat,
        Duration maxReconnectDelay,
        String connectionName,
        Consumer<? super ConnectionFactory> customizer) {

    /** The events topic exchange's default name. */
    public static final String DEFAULT_EVENTS_EXCHANGE = "courier.events";
    /** The commands direct exchange's default name. */
    public static final String DEFAULT_COMMANDS_EXCHANGE = "courier.commands";
    /** Published messages waiting for their confirm at most, by default. */
    public static final int DEFAULT_CONFIRM_WINDOW = 1_000;
    /** The largest message body accepted, in bytes, by default (16 MiB). */
    public static final int DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;
    /** The AMQP heartbeat, by default. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(30);
    /** The longest pause between reconnect attempts, by default. */
    public static final Duration DEFAULT_MAX_RECONNECT_DELAY = Duration.ofSeconds(5);
    /** The AMQP port. */
    public static final int DEFAULT_PORT = 5672;
    /** The AMQPS (TLS) port. */
    public static final int DEFAULT_TLS_PORT = 5671;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    /**
     * Settings as given; checked by {@link AmqpTransport#of(AmqpConfig)} (the builder checks them in
     * {@link Builder#build()}). The address list is copied; an {@code sslContext} implies {@code tls}.
     *
     * @param addresses see the record component
     * @param username see the record component
     * @param password see the record component
     * @param virtualHost see the record component
     * @param tls see the record component
     * @param sslContext see the record component
     * @param namespace see the record component
     * @param eventsExchange see the record component
     * @param commandsExchange see the record component
     * @param queueType see the record component
     * @param prefetch see the record component
     * @param confirmWindow see the record component
     * @param maxMessageSize see the record component
     * @param startTimeout see the record component
     * @param heartbeat see the record component
     * @param maxReconnectDelay see the record component
     * @param connectionName see the record component
     * @param customizer see the record component
     */
    public AmqpConfig {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        tls = tls || sslContext != null;
    }

    /**
     * A builder with the defaults: {@code amqp://guest:guest@localhost:5672/}, classic queues.
     *
     * @return a new builder; nothing is checked until {@link Builder#build()}
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The settings of a URI; see {@link Builder#uri(String)}.
     *
     * @param uri an {@code amqp://} or {@code amqps://} URI
     * @return the checked settings
     * @throws ConfigurationException naming every bad part at once (the password never shown)
     */
    public static AmqpConfig fromUri(String uri) {
        return builder().uri(uri).build();
    }

    /** @return a builder holding these settings, to change some of them */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.addresses = addresses;
        b.username = username;
        b.password = password;
        b.virtualHost = virtualHost;
        b.tls = tls;
        b.sslContext = sslContext;
        b.namespace = namespace;
        b.eventsExchange = eventsExchange;
        b.commandsExchange = commandsExchange;
        b.queueType = queueType;
        b.prefetch = prefetch;
        b.confirmWindow = confirmWindow;
        b.maxMessageSize = maxMessageSize;
        b.startTimeout = startTimeout;
        b.heartbeat = heartbeat;
        b.maxReconnectDelay = maxReconnectDelay;
        b.connectionName = connectionName;
        b.customizer = customizer;
        return b;
    }

    /** @return every bad setting, each named; empty when the settings are valid */
    List<String> problems() {
        List<String> p = new ArrayList<>();
        if (addresses.isEmpty()) {
            p.add("addresses: at least one host:port is needed");
        }
        for (String a : addresses) {
            int colon = a.lastIndexOf(':');
            int port = -1;
            try {
                port = Integer.parseInt(a.substring(colon + 1));
            } catch (NumberFormatException | StringIndexOutOfBoundsException ignored) {
                // reported below
            }
            if (colon <= 0 || port < 1 || port > 65_535) {
                p.add("addresses: '" + a + "' is not host:port with a port from 1 to 65535");
            }
        }
        if (username == null || username.isEmpty()) {
            p.add("credentials: the user name must not be empty");
        }
        if (password == null) {
            p.add("credentials: the password must not be null");
        }
        if (virtualHost == null || virtualHost.isEmpty()) {
            p.add("virtualHost must not be empty (use \"/\" for the default)");
        }
        if (namespace == null || (!namespace.isEmpty() && !NAME.matcher(namespace).matches())) {
            p.add("namespace '" + namespace + "' may hold only letters, digits, '.', '_', ':' and '-'");
        }
        for (String[] e : new String[][] {{"eventsExchange", eventsExchange}, {"commandsExchange", commandsExchange}}) {
            if (e[1] == null || !NAME.matcher(e[1]).matches()) {
                p.add(e[0] + " '" + e[1] + "' must be 1-200 letters, digits, '.', '_', ':' or '-'");
            }
        }
        if (eventsExchange != null && eventsExchange.equals(commandsExchange)) {
            p.add("eventsExchange and commandsExchange must differ (one is topic, the other direct)");
        }
        if (queueType == null) {
            p.add("queueType must not be null (CLASSIC or QUORUM)");
        }
        if (prefetch < 0 || prefetch > 65_535) {
            p.add("prefetch must be 0 (use the bus's) to 65535, was " + prefetch);
        }
        if (confirmWindow < 1 || confirmWindow > 1_000_000) {
            p.add("confirmWindow must be 1 to 1000000, was " + confirmWindow);
        }
        if (maxMessageSize < 1 || maxMessageSize > AmqpConnections.BROKER_MAX_MESSAGE_SIZE) {
            p.add("maxMessageSize must be 1 byte to 512 MiB (RabbitMQ's limit), was " + maxMessageSize);
        }
        if (startTimeout != null) {
            positive(p, "startTimeout", startTimeout);
        }
        positive(p, "heartbeat", heartbeat);
        positive(p, "maxReconnectDelay", maxReconnectDelay);
        return p;
    }

    private static void positive(List<String> p, String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            p.add(name + " must be positive, was " + d);
        }
    }

    /** @return {@code host:port,host:port}, for contracts and logs */
    String hostList() {
        return String.join(",", addresses);
    }

    /** @return the connection URI without user info, for logs, errors and {@code describe()} */
    String redactedUri() {
        String vhost = "/".equals(virtualHost) ? "" : java.net.URLEncoder.encode(String.valueOf(virtualHost),
                java.nio.charset.StandardCharsets.UTF_8);
        return TransportUri.redact((tls ? "amqps://" : "amqp://") + hostList() + "/" + vhost);
    }

    @Override
    public String toString() {
        return "AmqpConfig[" + redactedUri() + ", user=" + username + ", namespace=" + namespace + ", eventsExchange=" + eventsExchange
                + ", commandsExchange=" + commandsExchange + ", queueType=" + queueType + ", prefetch=" + prefetch
                + ", confirmWindow=" + confirmWindow + ", maxMessageSize=" + maxMessageSize + ", startTimeout="
                + (startTimeout == null ? "the bus's" : startTimeout) + ", tls=" + tls + (sslContext != null
                ? " (custom SSLContext)" : "") + "]";
    }

    /**
     * Settings of an {@link AmqpConfig}. Setters may be called in any order; {@link #build()} checks
     * them all and fails with a {@link ConfigurationException} that names each bad setting.
     */
    public static final class Builder {
        List<String> addresses = List.of("localhost");
        String username = "guest";
        String password = "guest";
        String virtualHost = "/";
        boolean tls;
        SSLContext sslContext;
        String namespace = "";
        String eventsExchange = DEFAULT_EVENTS_EXCHANGE;
        String commandsExchange = DEFAULT_COMMANDS_EXCHANGE;
        AmqpTransport.QueueType queueType = AmqpTransport.QueueType.CLASSIC;
        int prefetch;
        int confirmWindow = DEFAULT_CONFIRM_WINDOW;
        int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
        Duration startTimeout;
        Duration heartbeat = DEFAULT_HEARTBEAT;
        Duration maxReconnectDelay = DEFAULT_MAX_RECONNECT_DELAY;
        String connectionName;
        Consumer<? super ConnectionFactory> customizer;
        final List<String> problems = new ArrayList<>();

        Builder() {
        }

        /**
         * Where and how to connect: {@code amqp://user:password@host:port/vhost} or {@code amqps://...}
         * (TLS with host name verification), several {@code host:port} separated by commas for a
         * cluster, the virtual host percent-encoded ({@code %2F} for "/", an empty path means "/").
         * Query parameters set the other settings by their builder names: {@code namespace},
         * {@code eventsExchange}, {@code commandsExchange}, {@code queueType} (classic|quorum),
         * {@code prefetch}, {@code confirmWindow}, {@code maxMessageSize}, {@code connectionName},
         * and the durations {@code startTimeout}, {@code heartbeat}, {@code maxReconnectDelay} in
         * Courier's one syntax ({@code PT5S}, {@code 5s}, {@code 500ms}, or a bare number of seconds).
         * Parsed by {@link TransportUri}; unknown parameters are reported by {@link #build()}.
         *
         * @param uri the URI; null or unparsable is reported by {@link #build()}
         * @return this builder
         */
        public Builder uri(String uri) {
            AmqpUri.apply(uri, this);
            return this;
        }

        /**
         * @param hostPorts the broker nodes, each {@code host} or {@code host:port} (5672, or 5671 with
         *                  TLS), tried in order on each connect (a cluster)
         * @return this builder
         */
        public Builder addresses(String... hostPorts) {
            this.addresses = List.of(hostPorts);
            return this;
        }

        /**
         * @param username the user (default guest)
         * @param password the password (default guest); never logged
         * @return this builder
         */
        public Builder credentials(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        /**
         * @param virtualHost the virtual host, not encoded (default "/")
         * @return this builder
         */
        public Builder virtualHost(String virtualHost) {
            this.virtualHost = virtualHost;
            return this;
        }

        /**
         * @param tls connect with TLS (amqps) using the JVM's default trust, host names verified
         * @return this builder
         */
        public Builder tls(boolean tls) {
            this.tls = tls;
            return this;
        }

        /**
         * TLS with this context: its trust managers decide which broker certificates are accepted (a
         * private CA), its key managers present a client certificate (mTLS, e.g. for RabbitMQ's
         * EXTERNAL mechanism). Host names are always verified. Implies {@code tls(true)}.
         *
         * @param sslContext the TLS context; null for the JVM default
         * @return this builder
         */
        public Builder sslContext(SSLContext sslContext) {
            this.sslContext = sslContext;
            this.tls = tls || sslContext != null;
            return this;
        }

        /**
         * @param namespace a prefix of every exchange and queue name ({@code <namespace>.courier.events}); null for none
         * @return this builder
         */
        public Builder namespace(String namespace) {
            this.namespace = namespace == null ? "" : namespace;
            return this;
        }

        /**
         * @param name the events topic exchange (default {@value #DEFAULT_EVENTS_EXCHANGE})
         * @return this builder
         */
        public Builder eventsExchange(String name) {
            this.eventsExchange = name;
            return this;
        }

        /**
         * @param name the commands direct exchange (default {@value #DEFAULT_COMMANDS_EXCHANGE})
         * @return this builder
         */
        public Builder commandsExchange(String name) {
            this.commandsExchange = name;
            return this;
        }

        /**
         * @param queueType classic (default) or quorum; must match the queues that already exist
         * @return this builder
         */
        public Builder queueType(AmqpTransport.QueueType queueType) {
            this.queueType = queueType;
            return this;
        }

        /**
         * @param prefetch unacked messages per consumer, or 0 (default) for the bus's prefetch
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /**
         * @param confirmWindow publishes waiting for their confirm at most (default
         *                      {@value #DEFAULT_CONFIRM_WINDOW}); one beyond it waits for room up to the
         *                      publish timeout, then fails with {@code PublishTimeoutException}
         * @return this builder
         */
        public Builder confirmWindow(int confirmWindow) {
            this.confirmWindow = confirmWindow;
            return this;
        }

        /**
         * @param bytes the largest body (default 16 MiB): a larger publish fails; a larger incoming
         *              message is never read and goes to the dead letter with its headers and the reason
         * @return this builder
         */
        public Builder maxMessageSize(int bytes) {
            this.maxMessageSize = bytes;
            return this;
        }

        /**
         * @param startTimeout how long start() retries a broker that is down, for this transport only;
         *                     null (default) for the bus's start timeout, which a value here overrides
         * @return this builder
         */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * @param heartbeat the AMQP heartbeat (default 30 s, whole seconds on the wire): how soon a
         *                  silent broker is noticed
         * @return this builder
         */
        public Builder heartbeat(Duration heartbeat) {
            this.heartbeat = heartbeat;
            return this;
        }

        /**
         * @param maxReconnectDelay the longest pause between reconnect attempts (default 5 s); pauses
         *                          start at 100 ms and double, each lowered by a random part of up to
         *                          half, and start over once a connection stayed up for 30 s (or twice
         *                          this, if longer)
         * @return this builder
         */
        public Builder maxReconnectDelay(Duration maxReconnectDelay) {
            this.maxReconnectDelay = maxReconnectDelay;
            return this;
        }

        /**
         * @param connectionName the name in RabbitMQ's management UI and the prefix of the transport's
         *                       threads (default courier-service-instance; -pub and -sub appended)
         * @return this builder
         */
        public Builder connectionName(String connectionName) {
            this.connectionName = connectionName;
            return this;
        }

        /**
         * A hook on amqp-client's {@code ConnectionFactory}, called once when the transport starts,
         * after Courier's own settings and before both connections open: a metrics collector, socket
         * or TLS options, client properties. Automatic recovery, topology recovery and the inbound
         * body cap are set back to Courier's values afterwards (Courier recovers its connections
         * itself); an exception from the hook fails {@code start()} with a {@link ConfigurationException}.
         *
         * @param customizer called with Courier's configured factory; null for none
         * @return this builder
         */
        public Builder connectionFactory(Consumer<? super ConnectionFactory> customizer) {
            this.customizer = customizer;
            return this;
        }

        /**
         * Checks every setting.
         *
         * @return the settings
         * @throws ConfigurationException naming every invalid setting at once
         */
        public AmqpConfig build() {
            int port = tls || sslContext != null ? DEFAULT_TLS_PORT : DEFAULT_PORT;
            List<String> hosts = new ArrayList<>();
            for (String hp : addresses == null ? List.<String>of() : addresses) {
                hosts.add(AmqpUri.withPort(hp, port));
            }
            AmqpConfig cfg = new AmqpConfig(hosts, username, password, virtualHost, tls, sslContext, namespace,
                    eventsExchange, commandsExchange, queueType, prefetch, confirmWindow, maxMessageSize, startTimeout,
                    heartbeat, maxReconnectDelay, connectionName, customizer);
            List<String> p = new ArrayList<>(problems);
            p.addAll(cfg.problems());
            if (!p.isEmpty()) {
                throw new ConfigurationException(p);
            }
            return cfg;
        }
    }
}
