package dev.courier.websocket.hub;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A page or endpoint of yours on the hub's HTTP server ({@link WebSocketHub.Builder#httpRoute}), e.g. the
 * page that loads {@code /courier.js}. The hub's HTTP server stays an implementation detail: a route sees
 * a {@link Request} and answers a {@link Response}.
 *
 * <p>Thread: called on one of the hub's two HTTP threads, shared by every route and the hub's own
 * endpoints (tickets, health, operations page): answer quickly and never wait on the hub's clients.
 * An exception is answered with 500 and logged (WARN); it never stops the server.
 */
@FunctionalInterface
public interface HttpRoute {

    /**
     * Answers one request.
     *
     * @param request the request; its path starts with the route's path
     * @return the response; never null
     * @throws IOException when the answer cannot be made (answered with 500)
     */
    Response handle(Request request) throws IOException;

    /**
     * One HTTP request to a route.
     *
     * @param method the method, e.g. {@code GET}
     * @param uri the request URI as sent (path and query, no host)
     * @param headers the request headers; names as sent, look them up with {@link #header(String)}
     * @param body the request body, at most 64 KiB (longer bodies are cut)
     */
    record Request(String method, URI uri, Map<String, List<String>> headers, byte[] body) {
        /**
         * @param method the method
         * @param uri the request URI
         * @param headers the headers (copied)
         * @param body the body (not copied)
         */
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(uri, "uri");
            headers = Map.copyOf(headers);
            body = body == null ? new byte[0] : body;
        }

        /**
         * The request's path, decoded.
         *
         * @return e.g. {@code /index.html}
         */
        public String path() {
            return uri.getPath();
        }

        /**
         * The first value of a header, matched without regard to case.
         *
         * @param name the header's name
         * @return its first value, or null
         */
        public String header(String name) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                    return e.getValue().get(0);
                }
            }
            return null;
        }
    }

    /**
     * The answer to a {@link Request}. The hub adds {@code X-Content-Type-Options: nosniff} unless the
     * response sets it.
     *
     * @param status the HTTP status, 100 to 599
     * @param contentType the {@code Content-Type}, e.g. {@code text/html; charset=utf-8}
     * @param body the body (not copied; may be empty)
     * @param headers further response headers by name (e.g. {@code Cache-Control})
     */
    record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        /**
         * @param status the status
         * @param contentType the content type
         * @param body the body
         * @param headers further headers (copied)
         */
        public Response {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("status must be 100..599, was " + status);
            }
            Objects.requireNonNull(contentType, "contentType");
            body = body == null ? new byte[0] : body;
            headers = Map.copyOf(headers);
        }

        /**
         * A response with no further headers.
         *
         * @param status the HTTP status
         * @param contentType the content type
         * @param body the body
         * @return the response
         */
        public static Response of(int status, String contentType, byte[] body) {
            return new Response(status, contentType, body, Map.of());
        }

        /**
         * A plain-text response ({@code text/plain; charset=utf-8}).
         *
         * @param status the HTTP status
         * @param text the body
         * @return the response
         */
        public static Response text(int status, String text) {
            return of(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * This response with one more header (replacing one of the same name, regardless of case).
         *
         * @param name the header's name
         * @param value its value
         * @return a new response
         */
        public Response withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>();
            headers.forEach((k, v) -> {
                if (!k.toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                    h.put(k, v);
                }
            });
            h.put(name, value);
            return new Response(status, contentType, body, h);
        }
    }
}
