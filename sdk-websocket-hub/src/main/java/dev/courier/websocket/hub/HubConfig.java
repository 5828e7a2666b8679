package dev.courier.websocket.hub;

import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The immutable settings of one {@link WebSocketHub}, checked by {@link #problems()}. Internal: users set
 * these through {@link WebSocketHub.Builder}, which fills a {@link Draft} and freezes it here, so a builder
 * changed after {@code build()} no longer reaches the hub it built.
 *
 * @param broker standalone: the in-memory broker to route through (tests keep one across hub restarts), or null
 * @param operations the operations page at {@code /ops/}, or null
 */
record HubConfig(
        String host,
        int port,
        int httpPort,
        String hubId,
        Authenticator authenticator,
        Authorizer authorizer,
        Set<String> allowedOrigins,
        boolean allowOwnOrigin,
        int maxMessageBytes,
        int maxAttributeBytes,
        int maxHandshakeBytes,
        int maxConnections,
        int maxConnectionsPerPrincipal,
        double messagesPerSecond,
        int burst,
        Duration handshakeTimeout,
        Duration idleTimeout,
        int maxQueuedFrames,
        long maxQueuedBytes,
        int maxPrefetch,
        int maxSubscriptionsPerConnection,
        int queueCapacity,
        int deadLetterCapacity,
        Transport backbone,
        InMemoryBroker broker,
        Duration backbonePublishTimeout,
        SSLContext sslContext,
        int ioThreads,
        Duration ticketTtl,
        Map<String, HttpRoute> httpRoutes,
        Operations operations) {

    HubConfig {
        allowedOrigins = Collections.unmodifiableSet(new LinkedHashSet<>(allowedOrigins));
        httpRoutes = Collections.unmodifiableMap(new LinkedHashMap<>(httpRoutes));
    }

    /** Every bad setting, each named; empty when the settings are valid. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (authenticator == null) {
            problems.add("authenticator is required: the hub refuses anonymous connections");
        }
        if (authorizer == null) {
            problems.add("authorizer must not be null");
        }
        if (host == null || host.isEmpty()) {
            problems.add("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            problems.add("port must be 0..65535, was " + port);
        }
        if (httpPort < -1 || httpPort > 65535) {
            problems.add("httpPort must be -1 (off) or 0..65535, was " + httpPort);
        }
        if (maxMessageBytes < 1024) {
            problems.add("maxMessageBytes must be at least 1024, was " + maxMessageBytes);
        }
        if (maxAttributeBytes < Limits.MIN_ATTRIBUTE_BYTES || maxAttributeBytes > maxMessageBytes / 4) {
            problems.add("maxAttributeBytes must be at least " + Limits.MIN_ATTRIBUTE_BYTES
                    + " and at most a quarter of maxMessageBytes, was " + maxAttributeBytes);
        }
        if (maxConnections < 1 || maxConnectionsPerPrincipal < 1) {
            problems.add("maxConnections must be positive, was " + maxConnections + " / " + maxConnectionsPerPrincipal);
        }
        if (!(messagesPerSecond > 0) || burst < 1) {
            problems.add("rateLimit must be positive, was " + messagesPerSecond + "/s burst " + burst);
        }
        positive(problems, "handshakeTimeout", handshakeTimeout);
        positive(problems, "idleTimeout", idleTimeout);
        positive(problems, "ticketTtl", ticketTtl);
        if (backbone != null) {
            positive(problems, "backbone publishTimeout", backbonePublishTimeout);
        }
        if (maxQueuedFrames < 1 || maxQueuedBytes < 1) {
            problems.add("maxQueued must be positive, was " + maxQueuedFrames + " frames / " + maxQueuedBytes + " bytes");
        }
        if (queueCapacity < 1 || deadLetterCapacity < 1) {
            problems.add("retention must be positive, was " + queueCapacity + " / " + deadLetterCapacity);
        }
        if (ioThreads < 1) {
            problems.add("ioThreads must be positive, was " + ioThreads);
        }
        for (String path : httpRoutes.keySet()) {
            if (!path.startsWith("/")) {
                problems.add("httpRoute path must start with '/', was '" + path + "'");
            }
        }
        if (hubId == null || hubId.isEmpty() || !hubId.matches("[A-Za-z0-9_.-]+")) {
            problems.add("id must be letters, digits, '.', '_' or '-', was '" + hubId + "'");
        }
        return problems;
    }

    private static void positive(List<String> problems, String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            problems.add(name + " must be positive, was " + d);
        }
    }

    /** The settings while a {@link WebSocketHub.Builder} fills them, with the hub's defaults. */
    static final class Draft {
        String host = "127.0.0.1";
        int port;
        int httpPort;
        String hubId = UUID.randomUUID().toString().substring(0, 8);
        Authenticator authenticator;
        Authorizer authorizer = Authorizer.GRANTS;
        final Set<String> allowedOrigins = new LinkedHashSet<>();
        boolean allowOwnOrigin = true;
        int maxMessageBytes = WebSocketHub.DEFAULT_MAX_MESSAGE_BYTES;
        int maxAttributeBytes = WebSocketHub.DEFAULT_MAX_ATTRIBUTE_BYTES;
        int maxConnections = WebSocketHub.DEFAULT_MAX_CONNECTIONS;
        int maxConnectionsPerPrincipal = WebSocketHub.DEFAULT_MAX_CONNECTIONS_PER_PRINCIPAL;
        double messagesPerSecond = WebSocketHub.DEFAULT_MESSAGES_PER_SECOND;
        int burst = WebSocketHub.DEFAULT_BURST;
        Duration handshakeTimeout = WebSocketHub.DEFAULT_HANDSHAKE_TIMEOUT;
        Duration idleTimeout = WebSocketHub.DEFAULT_IDLE_TIMEOUT;
        int maxQueuedFrames = WebSocketHub.DEFAULT_MAX_QUEUED_FRAMES;
        long maxQueuedBytes = WebSocketHub.DEFAULT_MAX_QUEUED_BYTES;
        int queueCapacity = WebSocketHub.DEFAULT_QUEUE_CAPACITY;
        int deadLetterCapacity = WebSocketHub.DEFAULT_QUEUE_CAPACITY;
        Transport backbone;
        InMemoryBroker broker;
        Duration backbonePublishTimeout = Duration.ofSeconds(5);
        SSLContext sslContext;
        int ioThreads = Math.max(4, Runtime.getRuntime().availableProcessors());
        Duration ticketTtl = Duration.ofSeconds(30);
        final Map<String, HttpRoute> httpRoutes = new LinkedHashMap<>();
        Operations operations;

        /** The settings as they are now; fixed limits the builder does not expose are set here. */
        HubConfig freeze() {
            return new HubConfig(host, port, httpPort, hubId, authenticator, authorizer, allowedOrigins, allowOwnOrigin,
                    maxMessageBytes, maxAttributeBytes, 16 * 1024, maxConnections, maxConnectionsPerPrincipal,
                    messagesPerSecond, burst, handshakeTimeout, idleTimeout, maxQueuedFrames, maxQueuedBytes, 1000, 256,
                    queueCapacity, deadLetterCapacity, backbone, broker, backbonePublishTimeout, sslContext, ioThreads,
                    ticketTtl, httpRoutes, operations);
        }
    }
}
