package dev.courier.amqp;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads {@code amqp://user:password@host:port,host2:port/vhost?param=value} into a builder: user and
 * password percent-decoded, a comma-separated host list for a cluster, the virtual host from the
 * path ({@code %2F} for "/"; an empty path means "/"), and the parameters named in
 * {@link AmqpTransport.Builder#uri(String)}. Problems are collected, never thrown. Internal.
 */
final class AmqpUri {
    private AmqpUri() {
    }

    static void apply(URI uri, AmqpTransport.Builder b, List<String> problems) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        boolean tls;
        if ("amqp".equals(scheme)) {
            tls = false;
        } else if ("amqps".equals(scheme)) {
            tls = true;
        } else {
            problems.add("uri: scheme must be amqp:// or amqps://, was '" + scheme + ":'");
            return;
        }
        b.tls = tls;
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isEmpty()) {
            problems.add("uri: no host (expected amqp://user:password@host:port/vhost)");
            return;
        }
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            int colon = info.indexOf(':');
            b.username = decode(colon < 0 ? info : info.substring(0, colon));
            b.password = colon < 0 ? "" : decode(info.substring(colon + 1));
            authority = authority.substring(at + 1);
        }
        int defaultPort = tls ? 5671 : 5672;
        List<String> hosts = new ArrayList<>();
        for (String hp : authority.split(",")) {
            if (hp.isBlank()) {
                continue;
            }
            hosts.add(withPort(hp.trim(), defaultPort));
        }
        b.addresses = hosts;
        String path = uri.getRawPath();
        if (path != null && path.length() > 1) {
            String vhost = decode(path.substring(1));
            if (vhost.contains("/") && !path.substring(1).contains("%2F") && !path.substring(1).contains("%2f")) {
                problems.add("uri: virtual host '" + vhost + "' has a '/'; write it as %2F");
            }
            b.virtualHost = vhost;
        }
        String query = uri.getRawQuery();
        if (query != null && !query.isEmpty()) {
            for (String kv : query.split("&")) {
                int eq = kv.indexOf('=');
                String k = decode(eq < 0 ? kv : kv.substring(0, eq));
                String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
                param(b, k, v, problems);
            }
        }
    }

    static String withPort(String hp, int defaultPort) {
        boolean hasPort = hp.startsWith("[") ? hp.contains("]:") : hp.indexOf(':') >= 0 && hp.indexOf(':') == hp.lastIndexOf(':');
        return hasPort ? hp : hp + ":" + defaultPort;
    }

    private static void param(AmqpTransport.Builder b, String k, String v, List<String> problems) {
        try {
            switch (k) {
                case "namespace" -> b.namespace(v);
                case "eventsExchange" -> b.eventsExchange(v);
                case "commandsExchange" -> b.commandsExchange(v);
                case "queueType" -> b.queueType(AmqpTransport.QueueType.valueOf(v.toUpperCase(java.util.Locale.ROOT)));
                case "prefetch" -> b.prefetch(Integer.parseInt(v));
                case "confirmWindow" -> b.confirmWindow(Integer.parseInt(v));
                case "maxMessageSize" -> b.maxMessageSize(Integer.parseInt(v));
                case "startTimeout" -> b.startTimeout(Duration.ofSeconds(Long.parseLong(v)));
                case "heartbeat" -> b.heartbeat(Duration.ofSeconds(Long.parseLong(v)));
                case "connectionName" -> b.connectionName(v);
                default -> problems.add("uri: unknown parameter '" + k + "' (known: namespace, eventsExchange,"
                        + " commandsExchange, queueType, prefetch, confirmWindow, maxMessageSize, startTimeout,"
                        + " heartbeat, connectionName)");
            }
        } catch (IllegalArgumentException e) {
            problems.add("uri: parameter " + k + "='" + v + "' is not valid"
                    + ("queueType".equals(k) ? " (classic or quorum)" : ""));
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
