package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A plain java.net.http WebSocket client that records every frame, for protocol-level tests. */
final class RawClient implements WebSocket.Listener, AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    final List<JsonNode> frames = new CopyOnWriteArrayList<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    WebSocket ws;

    /** Connects with a bearer token (null for none) and optional Origin; throws the handshake failure. */
    static RawClient connect(URI uri, String token, String origin) throws Exception {
        return connect(uri, token, origin, java.util.Map.of());
    }

    /** {@link #connect(URI, String, String)} with extra handshake headers. */
    static RawClient connect(URI uri, String token, String origin, java.util.Map<String, String> headers) throws Exception {
        RawClient c = new RawClient();
        WebSocket.Builder b = HTTP.newWebSocketBuilder().subprotocols("cloudevents.json").connectTimeout(Duration.ofSeconds(30));
        headers.forEach(b::header);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (origin != null) {
            b.header("Origin", origin);
        }
        CompletableFuture<WebSocket> handshake = b.buildAsync(uri, c);
        try {
            c.ws = handshake.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (Exception) e.getCause();
        } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
            // the handshake may still complete: its connection must not stay open with nobody holding it
            handshake.whenComplete((ws, x) -> {
                if (ws != null) {
                    ws.abort();
                }
            });
            throw e;
        }
        return c;
    }

    /** The HTTP status a refused handshake was answered with. */
    static int refusedStatus(URI uri, String token, String origin) {
        try {
            connect(uri, token, origin).close();
            return 101;
        } catch (java.net.http.WebSocketHandshakeException e) {
            return e.getResponse().statusCode();
        } catch (Exception e) {
            throw new AssertionError("expected an HTTP refusal, got " + e, e);
        }
    }

    void send(String text) {
        ws.sendText(text, true).join();
    }

    JsonNode await(Predicate<JsonNode> p, String what) {
        dev.courier.kit.Await.until(Duration.ofSeconds(10), () -> frames.stream().anyMatch(p), () -> what + "; frames: " + frames);
        return frames.stream().filter(p).findFirst().orElseThrow();
    }

    static Predicate<JsonNode> type(String type) {
        return n -> type.equals(n.path("type").asText());
    }

    static Predicate<JsonNode> error(String code) {
        return n -> n.path("type").asText().endsWith(".error") && code.equals(n.path("data").path("code").asText());
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            try {
                frames.add(JSON.readTree(partial.toString()));
            } catch (Exception e) {
                frames.add(JSON.createObjectNode().put("unparsable", partial.toString()));
            }
            partial.setLength(0);
        }
        return null;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }

    @Override
    public void close() {
        if (ws != null && !ws.isOutputClosed()) {
            try {
                ws.sendClose(1000, "bye").get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                ws.abort();
            }
        }
    }
}
