package dev.courier.cli;

import dev.courier.websocket.hub.Authenticator;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.hub.WebSocketPrincipal;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * courier dlq against a WebSocket hub (standalone: it keeps the routing and the dead letters itself),
 * one hub per test on a free loopback port; services and courier connect with a bearer token.
 */
class WebSocketDlqCliTest extends DlqCliContract {
    private static final String TOKEN = "cli-test-token-7f3a";
    private WebSocketHub hub;

    @Override
    synchronized String uri(String ns) {
        if (hub == null) {
            WebSocketPrincipal backend = WebSocketPrincipal.of("backend", "publish:*", "send:*", "subscribe:*", "service:*",
                    "reply:*");
            hub = WebSocketHub.builder().id(ns).port(0).httpPort(-1).rateLimit(1_000_000, 1_000_000)
                    .authenticator(Authenticator.tokens(Map.of(TOKEN, backend))).build().start();
        }
        return hub.uri() + "?token=" + TOKEN;
    }

    @Override
    void requireBroker() {
        // the hub runs in this JVM
    }

    @Override
    String unreachableUri() {
        return "ws://127.0.0.1:1/";
    }

    @Override
    void assertWrongCredentials(Cli.Result r) {
        throw new UnsupportedOperationException("a hub takes a bearer token: see the test below");
    }

    @Override
    synchronized void cleanUp(String ns, List<String> services, List<String> names) {
        if (hub != null) {
            hub.close();
            hub = null;
        }
    }

    @Test
    @Override
    void credentialsFromTheEnvironmentOrPromptAreNeverPrinted() {
        String bare = uri(ns).replaceFirst("\\?token=.*", "");
        String wrong = "wrong-" + ns + "-Token";
        Cli.Result refused = Cli.run(Map.of(Credentials.ENV_TOKEN, wrong), Cli.FakeTerminal.none(),
                "dlq", "list", bare, "-s", SERVICE);
        assertEquals(ExitCodes.CONNECTION, refused.code(), refused::toString);
        assertFalse(refused.all().contains(wrong), refused::toString);

        Cli.Result fromEnv = Cli.run(Map.of(Credentials.ENV_TOKEN, TOKEN), Cli.FakeTerminal.none(),
                "dlq", "list", bare, "-s", SERVICE);
        assertEquals(0, fromEnv.code(), fromEnv::toString);
        assertFalse(fromEnv.all().contains(TOKEN), fromEnv::toString);

        Cli.FakeTerminal prompt = new Cli.FakeTerminal(true, TOKEN);
        Cli.Result asked = Cli.run(Map.of(), prompt, "dlq", "list", bare, "-s", SERVICE, "--ask-password");
        assertEquals(0, asked.code(), asked::toString);
        assertEquals(1, prompt.prompts.size());
        assertTrue(prompt.prompts.get(0).startsWith("Token for 127.0.0.1"), prompt.prompts::toString);
        assertFalse(asked.all().contains(TOKEN), asked::toString);

        Cli.Result inUri = Cli.run(Map.of(), Cli.FakeTerminal.none(), "dlq", "list", uri(ns), "-s", SERVICE);
        assertEquals(0, inUri.code(), inUri::toString);
        assertFalse(inUri.all().contains(TOKEN), inUri::toString);
    }
}
