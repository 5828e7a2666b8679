package dev.courier.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static dev.courier.websocket.HubSecurityTest.control;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The hostile-input suite (issue 11): a foreign client speaking the wire protocol with a valid
 * account tries to take what is not its own. Each case uses raw WebSocket clients.
 */
class HubHostileInputTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    private <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    static Predicate<JsonNode> answer(String seq) {
        return n -> seq.equals(n.path("data").path("seq").asText()) && n.path("type").asText().startsWith(Frames.CONTROL_PREFIX);
    }

    /** The answer to the request {@code seq}: "confirm" or the error code. */
    static String outcome(RawClient c, String seq) {
        JsonNode n = c.await(answer(seq), "an answer to " + seq);
        return n.path("type").asText().endsWith(".confirm") ? "confirm" : n.path("data").path("code").asText();
    }

    /** Issue 11.8: subscribing to a reply address goes through the authorizer like every other subscription. */
    @Test
    void aPrincipalCannotTakeAServicesReplyAddress() throws Exception {
        WebSocketHub hub = keep(TestHubs.builder().build().start());
        RawClient alice = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        alice.send(control("subscribe", "a1", "{\"sub\":\"r1\",\"address\":\"reply:canary.c1\",\"group\":\"c1\"}"));
        assertEquals("forbidden", outcome(alice, "a1"), "alice holds no grant for the reply address of service canary");
        JsonNode welcome = alice.await(RawClient.type(Frames.WELCOME), "welcome");
        assertEquals("~alice.", welcome.path("data").path("replyPrefix").asText(), "the welcome names the principal's"
                + " own reply addresses");
        alice.send(control("subscribe", "a2", "{\"sub\":\"r2\",\"address\":\"reply:~bob.tab1\"}"));
        assertEquals("forbidden", outcome(alice, "a2"), "alice may not take bob's reply addresses");
        alice.send(control("subscribe", "a3", "{\"sub\":\"r3\",\"address\":\"reply:~alice.tab1\"}"));
        assertEquals("confirm", outcome(alice, "a3"), "alice may receive replies at her own reply addresses");

        RawClient canary = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        canary.send(control("subscribe", "c1", "{\"sub\":\"r\",\"address\":\"reply:canary.c1\",\"group\":\"c1\"}"));
        assertEquals("confirm", outcome(canary, "c1"), "a principal with a service grant receives its service's replies");
        Await.stays(Duration.ofMillis(200), () -> !alice.closed.isDone(), () -> "refusals do not close the connection");
    }
}
