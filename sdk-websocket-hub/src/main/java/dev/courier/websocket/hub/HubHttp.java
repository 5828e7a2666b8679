package dev.courier.websocket.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Plain HTTP beside the hub, on the JDK's built-in server: {@code /courier.js} (the browser
 * client), {@code /health}, {@code POST /courier/ticket} (a one-time connection ticket for a bearer
 * token), the operations page ({@code /ops/}, when {@link Operations} are configured) and whatever
 * routes the user added ({@link HttpRoute}).
 */
final class HubHttp {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);

    private final HubConfig s;
    private final HubServer hub;
    private final Tickets tickets;
    private HttpServer server;
    private ExecutorService pool;

    HubHttp(HubConfig s, HubServer hub, Tickets tickets) {
        this.s = s;
        this.hub = hub;
        this.tickets = tickets;
    }

    void start() {
        try {
            server = HttpServer.create(new InetSocketAddress(s.host(), s.httpPort()), 64);
        } catch (IOException e) {
            throw new UncheckedIOException("hub HTTP server cannot listen on " + s.host() + ":" + s.httpPort(), e);
        }
        pool = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "courier-hub-http-" + s.hubId());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        byte[] js = resource("courier.js");
        server.createContext("/courier.js", ex -> respond(ex, 200, "application/javascript; charset=utf-8", js));
        server.createContext("/health", ex -> respond(ex, 200, "application/json",
                ("{\"status\":\"UP\",\"hub\":\"" + s.hubId() + "\",\"connections\":" + hub.sessionCount() + "}")
                        .getBytes(StandardCharsets.UTF_8)));
        server.createContext("/courier/ticket", this::ticket);
        if (s.operations() != null) {
            server.createContext("/ops", new OpsHttp(s.operations(), s.authenticator(), s.authorizer(), s.hubId()));
        }
        s.httpRoutes().forEach((path, route) -> server.createContext(path, ex -> serve(ex, route)));
        server.start();
    }

    private void ticket(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            respond(ex, 405, "text/plain", "POST with Authorization: Bearer <token>\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        WebSocketPrincipal p = null;
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            try {
                p = s.authenticator().authenticate(auth.substring(7).trim());
            } catch (RuntimeException e) {
                log.warn("hub {}: authenticator failed: {}", s.hubId(), e.toString());
            }
        }
        if (p == null) {
            respond(ex, 401, "text/plain", "Unauthorized\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String t = tickets.issue(p);
        if (t == null) {
            respond(ex, 503, "text/plain", "too many outstanding tickets\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        respond(ex, 200, "application/json", ("{\"ticket\":\"" + t + "\",\"expiresInSeconds\":" + tickets.ttlSeconds() + "}")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Answers one request to a user's route; a failure is answered with 500 and logged. */
    private void serve(HttpExchange ex, HttpRoute route) throws IOException {
        HttpRoute.Response r;
        try {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(64 * 1024);
            }
            r = route.handle(new HttpRoute.Request(ex.getRequestMethod(), ex.getRequestURI(),
                    ex.getRequestHeaders(), body));
            if (r == null) {
                throw new IllegalStateException("the route answered null");
            }
        } catch (IOException | RuntimeException e) {
            log.warn("hub {}: HTTP route for {} failed: {}", s.hubId(), ex.getRequestURI().getPath(), e.toString());
            respond(ex, 500, "text/plain", "Internal Server Error\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        ex.getResponseHeaders().set("Content-Type", r.contentType());
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        r.headers().forEach(ex.getResponseHeaders()::set);
        ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(r.body());
        }
    }

    static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            in.readNBytes(64 * 1024);
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** A file of this module's resources (next to these classes), read whole. */
    static byte[] resource(String name) {
        try (InputStream in = HubHttp.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from sdk-websocket-hub");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI uri() {
        String h = s.host().equals("0.0.0.0") || s.host().equals("::") ? "127.0.0.1" : s.host();
        return URI.create("http://" + h + ":" + port() + "/");
    }

    /** The origins of pages this server serves (for the origin allowlist). */
    Set<String> origins() {
        Set<String> o = new LinkedHashSet<>();
        int p = port();
        o.add("http://" + s.host() + ":" + p);
        if (s.host().equals("127.0.0.1") || s.host().equals("0.0.0.0") || s.host().equals("localhost") || s.host().equals("::")) {
            o.add("http://127.0.0.1:" + p);
            o.add("http://localhost:" + p);
        }
        return o;
    }

    void stop() {
        if (server != null) {
            server.stop(0);
        }
        if (pool != null) {
            pool.shutdownNow();
        }
        if (s.operations() != null) {
            s.operations().close();
        }
    }
}
