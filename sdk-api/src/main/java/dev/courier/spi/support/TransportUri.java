package dev.courier.spi.support;

import dev.courier.ConfigurationException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One parser for every transport URI: {@code scheme://user:password@host1:port1,host2:port2/path?name=value&...}.
 * User and password are percent-decoded; the authority may list several hosts (a cluster), each with
 * an optional port; the path is percent-decoded without its leading slash. Parameters are read with
 * typed getters that collect problems instead of throwing, so {@link #check} can name every bad
 * parameter at once in one {@link ConfigurationException}. Durations have one syntax everywhere
 * ({@link #parseDuration}). {@link #redact} is the one place a URI loses its secrets.
 */
public final class TransportUri {
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Set<String> SECRET_PARAMS = Set.of("password", "pass", "secret", "token", "key",
            "keypassword", "keystorepassword", "truststorepassword", "apikey", "access_token");

    private final String raw;
    private final String scheme;
    private final String username;
    private final String password;
    private final List<String> authorityHosts;
    private final String path;
    private final Map<String, String> params;
    private final Set<String> read = new TreeSet<>();
    private final List<String> problems = new ArrayList<>();

    private TransportUri(String raw, String scheme, String username, String password, List<String> hosts, String path,
                         Map<String, String> params) {
        this.raw = raw;
        this.scheme = scheme;
        this.username = username;
        this.password = password;
        this.authorityHosts = hosts;
        this.path = path;
        this.params = params;
    }

    /** A host and port of the authority. @param host the host name or address @param port the port */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Parses a URI.
     *
     * @param uri the URI
     * @return the parsed URI
     * @throws ConfigurationException when it has no {@code scheme://} or no host (the text is redacted)
     */
    public static TransportUri parse(String uri) {
        if (uri == null) {
            throw new ConfigurationException("uri must not be null");
        }
        int sep = uri.indexOf("://");
        if (sep <= 0) {
            throw new ConfigurationException("'" + redact(uri) + "' is not a transport URI: expected scheme://host...");
        }
        String scheme = uri.substring(0, sep).toLowerCase(Locale.ROOT);
        String rest = uri.substring(sep + 3);
        int end = indexOfAny(rest, '/', '?', '#');
        String authority = end < 0 ? rest : rest.substring(0, end);
        String tail = end < 0 ? "" : rest.substring(end);
        String user = null;
        String pass = null;
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String info = authority.substring(0, at);
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            pass = colon < 0 ? null : decode(info.substring(colon + 1));
            authority = authority.substring(at + 1);
        }
        List<String> hosts = new ArrayList<>();
        for (String h : authority.split(",")) {
            if (!h.isBlank()) {
                hosts.add(h.trim());
            }
        }
        int hash = tail.indexOf('#');
        if (hash >= 0) {
            tail = tail.substring(0, hash);
        }
        int q = tail.indexOf('?');
        String rawPath = q < 0 ? tail : tail.substring(0, q);
        String query = q < 0 ? "" : tail.substring(q + 1);
        String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        Map<String, String> params = new LinkedHashMap<>();
        for (String kv : query.split("&")) {
            if (kv.isEmpty()) {
                continue;
            }
            int eq = kv.indexOf('=');
            params.put(decode(eq < 0 ? kv : kv.substring(0, eq)), eq < 0 ? "" : decode(kv.substring(eq + 1)));
        }
        return new TransportUri(uri, scheme, user, pass, List.copyOf(hosts), path, params);
    }

    /** @return the scheme in lower case, e.g. {@code amqp} */
    public String scheme() {
        return scheme;
    }

    /** @return the decoded user, or null when the URI has none */
    public String username() {
        return username;
    }

    /** @return the decoded password, or null when the URI has none */
    public String password() {
        return password;
    }

    /** @return the decoded path without its leading slash; empty when none (undecoded form: {@link #rawPath()}) */
    public String path() {
        return decode(path);
    }

    /** @return the path as written, without its leading slash (to tell {@code %2F} from {@code /}) */
    public String rawPath() {
        return path;
    }

    /**
     * The hosts of the authority, each with its port or {@code defaultPort}.
     *
     * @param defaultPort the scheme's port
     * @return the hosts in the order written; empty when none (a problem is recorded)
     */
    public List<HostPort> hosts(int defaultPort) {
        List<HostPort> out = new ArrayList<>();
        for (String hp : authorityHosts) {
            String host = hp;
            int port = defaultPort;
            if (hp.startsWith("[")) {
                int close = hp.indexOf(']');
                host = hp.substring(1, Math.max(1, close));
                if (close >= 0 && hp.length() > close + 2 && hp.charAt(close + 1) == ':') {
                    port = port(hp, hp.substring(close + 2), defaultPort);
                }
            } else if (hp.indexOf(':') >= 0 && hp.indexOf(':') == hp.lastIndexOf(':')) {
                host = hp.substring(0, hp.indexOf(':'));
                port = port(hp, hp.substring(hp.indexOf(':') + 1), defaultPort);
            }
            out.add(new HostPort(host, port));
        }
        if (out.isEmpty()) {
            problems.add("uri: no host (expected " + scheme + "://host:port...)");
        }
        return out;
    }

    private int port(String hp, String p, int dflt) {
        try {
            int n = Integer.parseInt(p);
            if (n >= 1 && n <= 65_535) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        problems.add("uri: '" + hp + "' has no valid port (1 to 65535)");
        return dflt;
    }

    /** @return every parameter, decoded, in the order written */
    public Map<String, String> params() {
        return Collections.unmodifiableMap(params);
    }

    /**
     * @param name a parameter
     * @param dflt its default
     * @return its value, or the default when absent
     */
    public String string(String name, String dflt) {
        read.add(name);
        String v = params.get(name);
        return v == null ? dflt : v;
    }

    /**
     * @param name a parameter
     * @param dflt its default
     * @param min  the least valid value
     * @param max  the greatest valid value
     * @return its value, or the default when absent or invalid (then a problem is recorded)
     */
    public int integer(String name, int dflt, int min, int max) {
        read.add(name);
        String v = params.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        problems.add("uri: " + name + " must be a whole number from " + min + " to " + max + ", was '" + v + "'");
        return dflt;
    }

    /**
     * @param name a parameter
     * @param dflt its default
     * @return its value, or the default when absent or invalid (then a problem is recorded)
     */
    public boolean bool(String name, boolean dflt) {
        read.add(name);
        String v = params.get(name);
        if (v == null) {
            return dflt;
        }
        if (v.equalsIgnoreCase("true") || v.isEmpty()) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        problems.add("uri: " + name + " must be true or false, was '" + v + "'");
        return dflt;
    }

    /**
     * @param name a parameter
     * @param dflt its default (may be null)
     * @return its value ({@link #parseDuration} syntax), or the default when absent or invalid (then a
     *         problem is recorded)
     */
    public Duration duration(String name, Duration dflt) {
        read.add(name);
        String v = params.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return parseDuration(v);
        } catch (ConfigurationException e) {
            problems.add("uri: " + name + ": " + e.getMessage());
            return dflt;
        }
    }

    /**
     * Courier's one duration syntax, in URIs and configuration: ISO-8601 ({@code PT5S},
     * {@code PT0.5S}), or a whole number with a unit ({@code 500ms}, {@code 5s}, {@code 2m},
     * {@code 1h}, {@code 1d}), or a bare whole number of seconds ({@code 5}).
     *
     * @param text the text
     * @return the duration, zero or positive
     * @throws ConfigurationException when it is none of these, or negative
     */
    public static Duration parseDuration(String text) {
        String t = text.trim();
        Duration d = null;
        Matcher m = SHORT_DURATION.matcher(t.toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } else if (t.matches("\\d{1,12}")) {
            d = Duration.ofSeconds(Long.parseLong(t));
        } else {
            try {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                // below
            }
        }
        if (d == null || d.isNegative()) {
            throw new ConfigurationException("'" + text + "' is not a duration: write PT5S, 500ms, 5s, 2m, 1h or a"
                    + " number of seconds");
        }
        return d;
    }

    /**
     * Records a problem found by the caller (it joins the others in {@link #check}).
     *
     * @param problem what is wrong, naming the parameter
     */
    public void problem(String problem) {
        problems.add(problem);
    }

    /**
     * Fails when any parameter was unknown (not read by a getter) or invalid, naming every problem at
     * once and the known parameters.
     *
     * @param what the transport, e.g. "AMQP"
     * @throws ConfigurationException listing every problem
     */
    public void check(String what) {
        List<String> all = new ArrayList<>(problems);
        for (String k : params.keySet()) {
            if (!read.contains(k)) {
                all.add("uri: unknown " + what + " parameter '" + k + "' (known: " + String.join(", ", read) + ")");
            }
        }
        if (!all.isEmpty()) {
            throw new ConfigurationException(all);
        }
    }

    /** @return the URI without secrets ({@link #redact}) */
    public String redacted() {
        return redact(raw);
    }

    @Override
    public String toString() {
        return redacted();
    }

    /**
     * The one redactor: the password of the user info and the values of secret-looking parameters
     * (password, token, secret, key, …) become {@code ***}. Safe for logs, errors and {@code describe()}.
     *
     * @param uri a URI, possibly malformed; null gives "null"
     * @return the URI without secrets
     */
    public static String redact(String uri) {
        if (uri == null) {
            return "null";
        }
        String s = uri;
        int sep = s.indexOf("://");
        if (sep > 0) {
            int start = sep + 3;
            int end = indexOfAny(s.substring(start), '/', '?', '#');
            int authEnd = end < 0 ? s.length() : start + end;
            int at = s.lastIndexOf('@', authEnd - 1);
            if (at >= start) {
                int colon = s.indexOf(':', start);
                if (colon >= 0 && colon < at) {
                    s = s.substring(0, colon + 1) + "***" + s.substring(at);
                }
            }
        }
        int q = s.indexOf('?');
        if (q < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.substring(0, q + 1));
        String[] parts = s.substring(q + 1).split("&", -1);
        for (int i = 0; i < parts.length; i++) {
            String kv = parts[i];
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            if (i > 0) {
                out.append('&');
            }
            if (eq >= 0 && SECRET_PARAMS.contains(decode(k).toLowerCase(Locale.ROOT))) {
                out.append(k).append("=***");
            } else {
                out.append(kv);
            }
        }
        return out.toString();
    }

    private static int indexOfAny(String s, char... cs) {
        int best = -1;
        for (char c : cs) {
            int i = s.indexOf(c);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
