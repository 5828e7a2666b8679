package dev.courier.amqp;

import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads {@code amqp://user:password@host:port,host2:port/vhost?param=value} into an
 * {@link AmqpConfig.Builder} with Courier's one URI parser ({@link TransportUri}): user and password
 * percent-decoded, a host list for a cluster, the virtual host from the path ({@code %2F} for "/";
 * an empty path means "/"), durations in Courier's one syntax. Problems are collected into the
 * builder, never thrown. Internal.
 */
final class AmqpUri {
    private AmqpUri() {
    }

    static void apply(String text, AmqpConfig.Builder b) {
        TransportUri uri;
        try {
            uri = TransportUri.parse(text);
        } catch (ConfigurationException e) {
            b.problems.addAll(e.problems());
            return;
        }
        boolean tls;
        if ("amqp".equals(uri.scheme())) {
            tls = false;
        } else if ("amqps".equals(uri.scheme())) {
            tls = true;
        } else {
            b.problems.add("uri: scheme must be amqp:// or amqps://, was '" + uri.scheme() + "://'");
            return;
        }
        b.tls = tls || b.sslContext != null;
        List<String> hosts = new ArrayList<>();
        for (TransportUri.HostPort hp : uri.hosts(tls ? AmqpConfig.DEFAULT_TLS_PORT : AmqpConfig.DEFAULT_PORT)) {
            hosts.add(hp.toString());
        }
        if (!hosts.isEmpty()) {
            b.addresses = hosts;
        }
        if (uri.username() != null) {
            b.username = uri.username();
            b.password = uri.password() == null ? "" : uri.password();
        }
        String raw = uri.rawPath();
        if (!raw.isEmpty()) {
            String vhost = uri.path();
            if (vhost.contains("/") && !raw.toUpperCase(Locale.ROOT).contains("%2F")) {
                uri.problem("uri: virtual host '" + vhost + "' has a '/'; write it as %2F");
            }
            b.virtualHost = vhost;
        }
        b.namespace(uri.string("namespace", b.namespace));
        b.eventsExchange(uri.string("eventsExchange", b.eventsExchange));
        b.commandsExchange(uri.string("commandsExchange", b.commandsExchange));
        String type = uri.string("queueType", null);
        if (type != null) {
            try {
                b.queueType(AmqpTransport.QueueType.valueOf(type.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                uri.problem("uri: queueType must be classic or quorum, was '" + type + "'");
            }
        }
        b.prefetch(uri.integer("prefetch", b.prefetch, 0, 65_535));
        b.confirmWindow(uri.integer("confirmWindow", b.confirmWindow, 1, 1_000_000));
        b.maxMessageSize(uri.integer("maxMessageSize", b.maxMessageSize, 1, AmqpConnections.BROKER_MAX_MESSAGE_SIZE));
        b.startTimeout(uri.duration("startTimeout", b.startTimeout));
        b.heartbeat(uri.duration("heartbeat", b.heartbeat));
        b.maxReconnectDelay(uri.duration("maxReconnectDelay", b.maxReconnectDelay));
        b.connectionName(uri.string("connectionName", b.connectionName));
        try {
            uri.check("AMQP");
        } catch (ConfigurationException e) {
            b.problems.addAll(e.problems());
        }
    }

    /** {@code hp} with {@code defaultPort} appended when it has no port ({@code [::1]} style too). */
    static String withPort(String hp, int defaultPort) {
        boolean hasPort = hp.startsWith("[") ? hp.contains("]:") : hp.indexOf(':') >= 0 && hp.indexOf(':') == hp.lastIndexOf(':');
        return hasPort ? hp : hp + ":" + defaultPort;
    }
}
