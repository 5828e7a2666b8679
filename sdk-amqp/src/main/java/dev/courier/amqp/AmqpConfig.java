package dev.courier.amqp;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.List;

/**
 * The validated, immutable settings of one {@link AmqpTransport}. {@link #toString()} never shows
 * the password. Internal: users set these through {@link AmqpTransport.Builder}.
 */
record AmqpConfig(
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
        String connectionName) {

    AmqpConfig {
        addresses = List.copyOf(addresses);
    }

    /** {@code host:port,host:port}, for contracts and logs. */
    String hostList() {
        return String.join(",", addresses);
    }

    /** The URI without credentials. */
    String redactedUri() {
        String vhost = "/".equals(virtualHost) ? "" : virtualHost;
        return (tls ? "amqps://" : "amqp://") + hostList() + "/" + vhost;
    }

    @Override
    public String toString() {
        return "AmqpConfig[" + redactedUri() + ", user=" + username + ", namespace=" + namespace + ", eventsExchange="
                + eventsExchange + ", commandsExchange=" + commandsExchange + ", queueType=" + queueType + ", prefetch="
                + prefetch + ", confirmWindow=" + confirmWindow + ", maxMessageSize=" + maxMessageSize + "]";
    }
}
