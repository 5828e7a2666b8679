package dev.courier.websocket;

import java.util.Map;

/** Hubs for tests: loopback, ephemeral ports, known tokens. */
final class TestHubs {
    private TestHubs() {
    }

    static final String SERVICE_TOKEN = "svc-token-1";
    static final String ALICE_TOKEN = "alice-token-1";
    static final String BOB_TOKEN = "bob-token-1";

    static final WebSocketPrincipal SERVICE = WebSocketPrincipal.of("backend", "publish:*", "send:*", "subscribe:*",
            "service:*", "reply:*");
    static final WebSocketPrincipal ALICE = WebSocketPrincipal.of("alice", "send:v1.kit.ping", "subscribe:v1.kit.*");
    static final WebSocketPrincipal BOB = WebSocketPrincipal.of("bob", "send:v1.kit.ping", "subscribe:v1.kit.*");

    static Authenticator authenticator() {
        return Authenticator.tokens(Map.of(SERVICE_TOKEN, SERVICE, ALICE_TOKEN, ALICE, BOB_TOKEN, BOB));
    }

    /** A hub builder for tests: generous rate limit so functional tests are not throttled. */
    static WebSocketHub.Builder builder() {
        return WebSocketHub.builder().authenticator(authenticator()).rateLimit(1_000_000, 1_000_000).httpPort(-1);
    }

    static WebSocketTransport client(WebSocketHub hub, String token) {
        return WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(token).build());
    }
}
