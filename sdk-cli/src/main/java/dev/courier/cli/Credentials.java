package dev.courier.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Puts the credentials into the transport URI, from (first wins): the URI itself, the options and
 * the environment ({@code COURIER_USERNAME}, {@code COURIER_PASSWORD}; {@code COURIER_TOKEN} for
 * {@code ws://}/{@code wss://}), then a prompt on the terminal (never echoed) when a user name is
 * known but no password, or when {@code --ask-password} is given. Every secret found is registered
 * for redaction before the URI is used.
 */
final class Credentials {
    static final String ENV_USER = "COURIER_USERNAME";
    static final String ENV_PASSWORD = "COURIER_PASSWORD";
    static final String ENV_TOKEN = "COURIER_TOKEN";

    private Credentials() {
    }

    /**
     * @param raw      the URI as typed
     * @param user     the --user option, or null
     * @param ask      --ask-password: ask for the secret even if one is known
     * @param env      the environment
     * @param terminal where to ask
     * @param secrets  where to register every secret for redaction
     * @return the URI to connect with (holds the secret: never print it)
     */
    static String apply(String raw, String user, boolean ask, Map<String, String> env, Terminal terminal,
                        Set<String> secrets) {
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw new CliException(ExitCodes.USAGE, "'" + Target.redact(raw) + "' is not a valid URI: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("ws") || scheme.equals("wss")) {
            return token(uri, raw, ask, env, terminal, secrets);
        }
        int from = raw.indexOf("://");
        if (from < 0) {
            return raw; // not hierarchical: nothing to put credentials in
        }
        from += 3;
        int to = from;
        while (to < raw.length() && raw.charAt(to) != '/' && raw.charAt(to) != '?' && raw.charAt(to) != '#') {
            to++;
        }
        String authority = raw.substring(from, to);
        int at = authority.lastIndexOf('@');
        String hosts = at < 0 ? authority : authority.substring(at + 1);
        String uriUser = null;
        String uriPassword = null;
        if (at >= 0) {
            String[] ui = authority.substring(0, at).split(":", 2);
            uriUser = decode(ui[0]);
            if (ui.length > 1) {
                uriPassword = decode(ui[1]);
                secrets.add(uriPassword);
                secrets.add(ui[1]);
            }
        }
        String name = firstOf(user, uriUser, env.get(ENV_USER));
        String password = firstOf(uriPassword, env.get(ENV_PASSWORD));
        if (password != null) {
            secrets.add(password);
        }
        if (name != null && (password == null || ask)) {
            if (!terminal.interactive()) {
                throw new CliException(ExitCodes.USAGE, "no password for user '" + name + "': set " + ENV_PASSWORD
                        + " or run courier in a terminal to be asked");
            }
            char[] typed = terminal.readSecret("Password for " + name + "@" + hosts + ": ");
            if (typed == null) {
                throw new CliException(ExitCodes.USAGE, "no password given for user '" + name + "'");
            }
            password = new String(typed);
            secrets.add(password);
        }
        if (name == null) {
            return raw; // the transport's default (e.g. guest on a local RabbitMQ) or an anonymous broker
        }
        if (password != null) {
            secrets.add(encode(password));
        }
        String info = encode(name) + (password == null ? "" : ":" + encode(password));
        return raw.substring(0, from) + info + "@" + hosts + raw.substring(to);
    }

    private static String token(URI uri, String raw, boolean ask, Map<String, String> env, Terminal terminal,
                                Set<String> secrets) {
        String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
        for (String kv : query.split("&")) {
            if (kv.startsWith("token=")) {
                secrets.add(kv.substring(6));
                secrets.add(decode(kv.substring(6)));
                if (!ask) {
                    return raw;
                }
            }
        }
        String token = ask ? null : env.get(ENV_TOKEN);
        if (token == null && ask) {
            if (!terminal.interactive()) {
                throw new CliException(ExitCodes.USAGE, "--ask-password needs a terminal to ask on; set " + ENV_TOKEN + " instead");
            }
            char[] typed = terminal.readSecret("Token for " + uri.getHost() + ": ");
            token = typed == null ? null : new String(typed);
        }
        if (token == null || token.isEmpty()) {
            return raw;
        }
        secrets.add(token);
        secrets.add(encode(token));
        String sep = query.isEmpty() ? "?" : "&";
        String noToken = raw.replaceAll("([?&])token=[^&]*&?", "$1").replaceAll("[?&]$", "");
        return noToken + (noToken.contains("?") ? "&" : sep) + "token=" + encode(token);
    }

    private static String firstOf(String... values) {
        for (String v : values) {
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return null;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
