package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.courier.DeadLetter;
import dev.courier.DeadLetters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The HTTP side of {@link Operations} at {@code /ops/}: the page ({@code /ops/}) and the routes of its JSON
 * API ({@code /ops/api/...}), every API call authenticated with the hub's {@link Authenticator} and
 * authorized per service with the hub's {@link Authorizer} ({@link Authorizer.Operation#OPERATE}); replay
 * and discard run here. What the API answers is rendered by {@link OpsViews}.
 */
final class OpsHttp implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(WebSocketHub.class);
    private static final ObjectMapper JSON = OpsViews.JSON;
    private static final int SCAN = OpsViews.SCAN;
    /** Ids per replay or discard call, at most. */
    static final int MAX_SELECTION = 500;

    private final Operations ops;
    private final Authenticator authenticator;
    private final Authorizer authorizer;
    private final String hubId;
    private final byte[] page;

    OpsHttp(Operations ops, Authenticator authenticator, Authorizer authorizer, String hubId) {
        this.ops = ops;
        this.authenticator = authenticator;
        this.authorizer = authorizer;
        this.hubId = hubId;
        this.page = HubHttp.resource("ops.html");
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/ops") || path.equals("/ops/") || path.equals("/ops/index.html")) {
                ex.getResponseHeaders().set("Content-Security-Policy",
                        "default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
                ex.getResponseHeaders().set("X-Frame-Options", "DENY");
                HubHttp.respond(ex, 200, "text/html; charset=utf-8", page);
                return;
            }
            if (!path.startsWith("/ops/api/")) {
                text(ex, 404, "not found");
                return;
            }
            WebSocketPrincipal p = principal(ex);
            if (p == null) {
                ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                text(ex, 401, "Unauthorized: send Authorization: Bearer <token>");
                return;
            }
            List<String> allowed = new ArrayList<>();
            for (String s : ops.serviceNames()) {
                if (allows(p, s)) {
                    allowed.add(s);
                }
            }
            if (allowed.isEmpty()) {
                text(ex, 403, "Forbidden: " + p.name() + " may operate no service here");
                return;
            }
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            switch (path.substring("/ops/api/".length())) {
                case "services" -> services(ex, p, allowed);
                case "letters" -> letters(ex, q, allowed);
                case "letter" -> letter(ex, q, allowed);
                case "replay", "discard" -> act(ex, path.endsWith("replay"), p, allowed);
                case "traffic" -> traffic(ex, allowed);
                default -> text(ex, 404, "not found");
            }
        } catch (RuntimeException e) {
            log.warn("hub {}: operations page request failed: {}", hubId, e.toString());
            text(ex, 500, "failed: " + e.getClass().getSimpleName());
        }
    }

    private boolean allows(WebSocketPrincipal p, String service) {
        try {
            return authorizer.allows(p, Authorizer.Operation.OPERATE, service);
        } catch (RuntimeException e) {
            log.warn("hub {}: authorizer failed: {}", hubId, e.toString());
            return false;
        }
    }

    private WebSocketPrincipal principal(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        try {
            return authenticator.authenticate(auth.substring(7).trim());
        } catch (RuntimeException e) {
            log.warn("hub {}: authenticator failed: {}", hubId, e.toString());
            return null;
        }
    }

    /** The service named in the query, when the principal may operate it; else answers 403/400 and returns null. */
    private String service(HttpExchange ex, String service, List<String> allowed) throws IOException {
        if (service == null || service.isEmpty()) {
            text(ex, 400, "service missing");
            return null;
        }
        if (!allowed.contains(service)) {
            text(ex, 403, "Forbidden: may not operate this service");
            return null;
        }
        return service;
    }

    private void services(HttpExchange ex, WebSocketPrincipal p, List<String> allowed) throws IOException {
        json(ex, OpsViews.services(ops, p, hubId, allowed));
    }

    private void letters(HttpExchange ex, Map<String, String> q, List<String> allowed) throws IOException {
        String service = service(ex, q.get("service"), allowed);
        if (service == null) {
            return;
        }
        json(ex, OpsViews.letters(service, ops.deadLetters(service).list(SCAN), blankToNull(q.get("type")),
                blankToNull(q.get("error"))));
    }

    private void letter(HttpExchange ex, Map<String, String> q, List<String> allowed) throws IOException {
        String service = service(ex, q.get("service"), allowed);
        if (service == null) {
            return;
        }
        String id = q.get("id");
        DeadLetter found = null;
        for (DeadLetter d : ops.deadLetters(service).list(SCAN)) {
            if (d.messageId() != null && d.messageId().equals(id)) {
                found = d;
                break;
            }
        }
        if (found == null) {
            text(ex, 404, "no such dead letter (already replayed or discarded?)");
            return;
        }
        json(ex, OpsViews.letter(ops, service, found, allowed));
    }

    private void act(HttpExchange ex, boolean replay, WebSocketPrincipal p, List<String> allowed) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            text(ex, 405, "POST {\"service\": \"…\", \"ids\": [\"…\"]}");
            return;
        }
        JsonNode body;
        try {
            // not closed here: the response (HubHttp.respond) drains and closes it
            byte[] b = ex.getRequestBody().readNBytes(256 * 1024 + 1);
            if (b.length > 256 * 1024) {
                text(ex, 413, "request too large");
                return;
            }
            body = JSON.readTree(b);
        } catch (IOException e) {
            text(ex, 400, "body must be JSON {\"service\": \"…\", \"ids\": [\"…\"]}");
            return;
        }
        String service = service(ex, body == null ? null : body.path("service").asText(null), allowed);
        if (service == null) {
            return;
        }
        JsonNode ids = body.path("ids");
        if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_SELECTION) {
            text(ex, 400, "ids: 1 to " + MAX_SELECTION + " dead letter ids");
            return;
        }
        DeadLetters dl = ops.deadLetters(service);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode results = out.putArray("results");
        int done = 0;
        for (JsonNode idNode : ids) {
            String id = idNode.asText();
            ObjectNode r = results.addObject();
            r.put("id", id);
            try {
                if (replay) {
                    dl.replay(id).get(ops.replayTimeout().toMillis(), TimeUnit.MILLISECONDS);
                    r.put("ok", true);
                } else {
                    boolean removed = dl.discard(id);
                    r.put("ok", removed);
                    if (!removed) {
                        r.put("error", "no such dead letter (already replayed or discarded?)");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.put("ok", false).put("error", "interrupted");
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                r.put("ok", false).put("error", e instanceof TimeoutException ? "timed out" : OpsViews.describe(e));
            }
            if (r.path("ok").asBoolean()) {
                done++;
            }
        }
        log.info("hub {}: {} {} {} of {} dead letter(s) of service '{}' from the operations page", hubId, p.name(),
                replay ? "replayed" : "discarded", done, ids.size(), service);
        out.put("done", done);
        json(ex, out);
    }

    private void traffic(HttpExchange ex, List<String> allowed) throws IOException {
        json(ex, OpsViews.traffic(ops, allowed));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return q;
    }

    private static void json(HttpExchange ex, JsonNode n) throws IOException {
        HubHttp.respond(ex, 200, "application/json", JSON.writeValueAsBytes(n));
    }

    private static void text(HttpExchange ex, int status, String msg) throws IOException {
        HubHttp.respond(ex, status, "text/plain; charset=utf-8", (msg + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
