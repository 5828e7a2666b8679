package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import java.util.Map;

/** Hubs for tests: loopback, ephemeral ports, known tokens (public: the client transport's tests in dev.courier.websocket use it). */
public final class TestHubs {
    private TestHubs() {
    }

    public static final String SERVICE_TOKEN = "svc-token-1";
    public static final String ALICE_TOKEN = "alice-token-1";
    public static final String BOB_TOKEN = "bob-token-1";

    public static final WebSocketPrincipal SERVICE = WebSocketPrincipal.of("backend", "publish:*", "send:*", "subscribe:*",
            "service:*", "reply:*");
    public static final WebSocketPrincipal ALICE = WebSocketPrincipal.of("alice", "send:v1.kit.ping", "subscribe:v1.kit.*");
    public static final WebSocketPrincipal BOB = WebSocketPrincipal.of("bob", "send:v1.kit.ping", "subscribe:v1.kit.*");

    public static Authenticator authenticator() {
        return Authenticator.tokens(Map.of(SERVICE_TOKEN, SERVICE, ALICE_TOKEN, ALICE, BOB_TOKEN, BOB));
    }

    /** A hub builder for tests: generous rate limit so functional tests are not throttled. */
    public static WebSocketHub.Builder builder() {
        return WebSocketHub.builder().authenticator(authenticator()).rateLimit(1_000_000, 1_000_000).httpPort(-1);
    }

    public static WebSocketTransport client(WebSocketHub hub, String token) {
        return WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(token).build());
    }
}
