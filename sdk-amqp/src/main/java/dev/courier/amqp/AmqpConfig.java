package dev.courier.amqp;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The immutable settings of one {@link AmqpTransport}, checked by {@link #problems()}. {@link #toString()} never shows
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

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,200}");

    AmqpConfig {
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
    }

    /** Every bad setting, each named; empty when the settings are valid. */
    List<String> problems() {
        List<String> p = new ArrayList<>();
        if (addresses == null || addresses.isEmpty()) {
            p.add("addresses: at least one host:port is needed");
        } else {
            for (String a : addresses) {
                int colon = a.lastIndexOf(':');
                String host = colon < 0 ? a : a.substring(0, colon);
                int port = -1;
                try {
                    port = Integer.parseInt(a.substring(colon + 1));
                } catch (NumberFormatException | StringIndexOutOfBoundsException ignored) {
                    // reported below
                }
                if (host.isBlank() || port < 1 || port > 65_535) {
                    p.add("addresses: '" + a + "' is not host:port with a port from 1 to 65535");
                }
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
        if (eventsExchange == null || !NAME.matcher(eventsExchange).matches()) {
            p.add("eventsExchange '" + eventsExchange + "' must be 1-200 letters, digits, '.', '_', ':' or '-'");
        }
        if (commandsExchange == null || !NAME.matcher(commandsExchange).matches()) {
            p.add("commandsExchange '" + commandsExchange + "' must be 1-200 letters, digits, '.', '_', ':' or '-'");
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
        if (maxMessageSize < 1 || maxMessageSize > 512 * 1024 * 1024) {
            p.add("maxMessageSize must be 1 byte to 512 MiB (RabbitMQ's limit), was " + maxMessageSize);
        }
        positive(p, "startTimeout", startTimeout);
        positive(p, "heartbeat", heartbeat);
        positive(p, "maxReconnectDelay", maxReconnectDelay);
        return p;
    }

    private static void positive(List<String> p, String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            p.add(name + " must be positive, was " + d);
        }
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
