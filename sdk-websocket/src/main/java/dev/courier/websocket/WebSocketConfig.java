package dev.courier.websocket;

import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;
import org.java_websocket.client.WebSocketClient;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The settings of a {@link WebSocketTransport}: immutable, checked once by {@link Builder#build()}
 * (every problem named at once in one {@link ConfigurationException}). Made from a URI with
 * {@link #of(String)} or {@link #builder(String)}, the URI read by Courier's one parser
 * ({@link TransportUri}):
 *
 * <pre>{@code ws://hub1:8080,hub2:8080/?token=...&connectTimeout=5s&reconnectMin=100ms&reconnectMax=5s
 *     &maxInFlight=50000&maxIncomingMessageBytes=16777216&pingInterval=30s}</pre>
 *
 * Durations take Courier's one syntax ({@link TransportUri#parseDuration}: {@code PT5S}, {@code 500ms},
 * {@code 5s}, {@code 2m}, or seconds). Several hubs ({@code host1:port1,host2:port2}) are tried in
 * order on every connect. {@code wss://} uses TLS: the JVM's trust store by default, or
 * {@link Builder#sslContext} for a private CA and for mutual TLS (a context with key managers).
 * The token is sent as {@code Authorization: Bearer} and never shown: {@link #toString()} and
 * {@link #describe()} redact it.
 *
 * @param hubs                    the hubs, tried in order: {@code ws(s)://host:port/path}, no query; not empty
 * @param token                   the bearer token, or null
 * @param sslContext              the TLS context for {@code wss://}, or null for the JVM's default
 * @param connectTimeout          how long one connect to one hub may take (TCP, TLS, handshake, welcome)
 * @param reconnectMin            the first reconnect delay ({@link dev.courier.spi.Backoff})
 * @param reconnectMax            the largest reconnect delay
 * @param maxInFlight             publishes waiting for the hub's confirm at once (the publish window)
 * @param maxIncomingMessageBytes the largest frame accepted from the hub
 * @param pingInterval            the ping interval; the connection counts as lost when pongs stop
 * @param clientCustomizer        a hook on each Java-WebSocket client before it connects, or null
 */
public record WebSocketConfig(List<URI> hubs, String token, SSLContext sslContext, Duration connectTimeout,
                              Duration reconnectMin, Duration reconnectMax, int maxInFlight,
                              int maxIncomingMessageBytes, Duration pingInterval,
                              Consumer<? super WebSocketClient> clientCustomizer) {
    /** How long one connect may take by default (10 s). */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Publishes waiting for the hub's confirm at once, by default. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 50_000;
    /** The largest message accepted from the hub by default, in bytes (16 MiB). */
    public static final int DEFAULT_MAX_INCOMING_MESSAGE_BYTES = 16 * 1024 * 1024;

    /**
     * Checks nothing: {@link Builder#build()} does; copies the hub list.
     *
     * @param hubs                    the hubs, tried in order
     * @param token                   the bearer token, or null
     * @param sslContext              the TLS context for {@code wss://}, or null for the JVM's default
     * @param connectTimeout          how long one connect to one hub may take
     * @param reconnectMin            the first reconnect delay
     * @param reconnectMax            the largest reconnect delay
     * @param maxInFlight             publishes waiting for the hub's confirm at once
     * @param maxIncomingMessageBytes the largest frame accepted from the hub
     * @param pingInterval            the ping interval
     * @param clientCustomizer        a hook on each Java-WebSocket client before it connects, or null
     */
    public WebSocketConfig {
        hubs = List.copyOf(hubs);
    }

    /**
     * The settings a URI gives, with defaults for the rest.
     *
     * @param uri {@code ws://} or {@code wss://}, one host or several, with optional parameters
     * @return the settings
     * @throws ConfigurationException naming every problem of the URI at once (the URI redacted)
     */
    public static WebSocketConfig of(String uri) {
        return builder(uri).build();
    }

    /**
     * A builder that starts from a URI's settings; the builder's setters override them.
     *
     * @param uri {@code ws://} or {@code wss://}, one host or several, with optional parameters
     * @return a new builder; problems of the URI are reported by {@link Builder#build()}
     */
    public static Builder builder(String uri) {
        return new Builder(uri);
    }

    /**
     * A builder that starts from a URI's settings (for example a hub's {@code uri()}).
     *
     * @param uri {@code ws://} or {@code wss://}
     * @return a new builder
     */
    public static Builder builder(URI uri) {
        return new Builder(uri == null ? null : uri.toString());
    }

    /** @return the hubs in words, for logs and errors: never the token */
    public String describe() {
        return hubs.size() == 1 ? hubs.get(0).toString() : hubs.toString();
    }

    /** @return the settings without the token */
    @Override
    public String toString() {
        return "WebSocketConfig[hubs=" + describe() + ", token=" + (token == null ? "none" : "***") + ", tls="
                + (sslContext == null ? "default" : "custom") + ", connectTimeout=" + connectTimeout
                + ", reconnect=" + reconnectMin + ".." + reconnectMax + ", maxInFlight=" + maxInFlight
                + ", maxIncomingMessageBytes=" + maxIncomingMessageBytes + ", pingInterval=" + pingInterval + "]";
    }

    /** Builds a {@link WebSocketConfig}; {@link #build()} reports every problem at once. Not thread-safe. */
    public static final class Builder {
        private final List<String> problems = new ArrayList<>();
        private final List<URI> hubs = new ArrayList<>();
        private String token;
        private SSLContext ssl;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration reconnectMin = Duration.ofMillis(100);
        private Duration reconnectMax = Duration.ofSeconds(5);
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxIncoming = DEFAULT_MAX_INCOMING_MESSAGE_BYTES;
        private Duration pingInterval = Duration.ofSeconds(30);
        private Consumer<? super WebSocketClient> customizer;

        private Builder(String uri) {
            TransportUri u;
            try {
                u = TransportUri.parse(uri);
            } catch (ConfigurationException e) {
                problems.add(e.getMessage());
                return;
            }
            String scheme = u.scheme();
            if (!scheme.equals("ws") && !scheme.equals("wss")) {
                problems.add("uri must be ws://host:port/ or wss://host:port/, was " + u.redacted());
                return;
            }
            String path = "/" + u.rawPath();
            for (TransportUri.HostPort h : u.hosts(scheme.equals("wss") ? 443 : 80)) {
                try {
                    hubs.add(new URI(scheme + "://" + h + path));
                } catch (java.net.URISyntaxException e) {
                    problems.add("uri: " + h + path + " is not a valid hub address (" + e.getReason() + ")");
                }
            }
            token = u.string("token", null);
            if (u.password() != null && token == null) {
                token = u.password(); // ws://:token@host/ also works; never sent in the URL
            }
            connectTimeout = u.duration("connectTimeout", connectTimeout);
            reconnectMin = u.duration("reconnectMin", reconnectMin);
            reconnectMax = u.duration("reconnectMax", reconnectMax);
            pingInterval = u.duration("pingInterval", pingInterval);
            maxInFlight = u.integer("maxInFlight", maxInFlight, 1, Integer.MAX_VALUE);
            maxIncoming = u.integer("maxIncomingMessageBytes", maxIncoming, 1024, Integer.MAX_VALUE);
            try {
                u.check("WebSocket");
            } catch (ConfigurationException e) {
                problems.addAll(e.problems());
            }
        }

        /**
         * The bearer token (overrides the URI's {@code token}). Never logged.
         *
         * @param token the token, or null for none
         * @return this builder
         */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /**
         * The TLS context for {@code wss://}: trust managers for a private CA, key managers for
         * mutual TLS (default: the JVM's).
         *
         * @param context the client's TLS context, or null for the JVM's default
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.ssl = context;
            return this;
        }

        /**
         * How long one connect to one hub may take: TCP, TLS, the WebSocket handshake and the hub's
         * welcome. Start-up as a whole is bounded by the bus's start timeout.
         *
         * @param timeout positive (default 10 s)
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Reconnect backoff (default 100 ms to 5 s): the first delay, doubling up to {@code max}, each
         * lowered by a random part of up to half ({@link dev.courier.spi.Backoff}).
         *
         * @param min the first delay; positive
         * @param max the cap; at least {@code min}
         * @return this builder
         */
        public Builder reconnectDelay(Duration min, Duration max) {
            this.reconnectMin = min;
            this.reconnectMax = max;
            return this;
        }

        /**
         * The publish window: publishes waiting for the hub's confirm at once. A publish that finds it
         * full waits for room up to the publish timeout, then fails with
         * {@link dev.courier.PublishTimeoutException}.
         *
         * @param publishes positive (default {@value WebSocketConfig#DEFAULT_MAX_IN_FLIGHT})
         * @return this builder
         */
        public Builder maxInFlight(int publishes) {
            this.maxInFlight = publishes;
            return this;
        }

        /**
         * The largest message accepted from the hub.
         *
         * @param bytes at least 1024 (default 16 MiB)
         * @return this builder
         */
        public Builder maxIncomingMessageBytes(int bytes) {
            this.maxIncoming = bytes;
            return this;
        }

        /**
         * The ping interval; the connection counts as lost when pongs stop.
         *
         * @param interval positive, whole seconds (default 30 s)
         * @return this builder
         */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = interval;
            return this;
        }

        /**
         * A hook on the Java-WebSocket client, called for every connection (each connect makes a new
         * client) after Courier's settings and before it connects: extra HTTP headers for a proxy or
         * gateway ({@code addHeader}), a socket factory, DNS. An exception fails {@code start()}; on a
         * later reconnect it is logged (ERROR) and the connection goes ahead without the hook's changes.
         *
         * @param customizer called with each client before it connects, or null
         * @return this builder
         */
        public Builder clientCustomizer(Consumer<? super WebSocketClient> customizer) {
            this.customizer = customizer;
            return this;
        }

        /**
         * Checks every setting.
         *
         * @return the settings
         * @throws ConfigurationException naming every problem at once
         */
        public WebSocketConfig build() {
            List<String> all = new ArrayList<>(problems);
            for (Duration d : new Duration[] {connectTimeout, reconnectMin, reconnectMax, pingInterval}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    all.add("timeouts and delays must be positive, got " + d);
                }
            }
            if (reconnectMin != null && reconnectMax != null && reconnectMax.compareTo(reconnectMin) < 0) {
                all.add("reconnectDelay max must be at least min, was " + reconnectMin + " / " + reconnectMax);
            }
            if (maxInFlight < 1) {
                all.add("maxInFlight must be positive, was " + maxInFlight);
            }
            if (maxIncoming < 1024) {
                all.add("maxIncomingMessageBytes must be at least 1024, was " + maxIncoming);
            }
            if (problems.isEmpty() && hubs.isEmpty()) {
                all.add("uri names no hub");
            }
            if (!all.isEmpty()) {
                throw new ConfigurationException(all);
            }
            return new WebSocketConfig(hubs, token, ssl, connectTimeout, reconnectMin, reconnectMax, maxInFlight,
                    maxIncoming, pingInterval, customizer);
        }
    }

    /** @return the hubs as {@code host:port,host:port}, for contracts */
    String hostList() {
        StringBuilder b = new StringBuilder();
        for (URI u : hubs) {
            b.append(b.length() == 0 ? "" : ",").append(u.getHost()).append(':').append(u.getPort() > 0 ? u.getPort()
                    : "wss".equalsIgnoreCase(u.getScheme()) ? 443 : 80);
        }
        return b.toString();
    }
}
