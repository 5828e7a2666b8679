package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.kit.Await;
import dev.courier.websocket.protocol.Frames;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.courier.websocket.hub.HubSecurityTest.control;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code batch} feature (issue 17): a client that offers it at the handshake may get several publish
 * confirms in one frame ({@code data.seqs}) and may ack several deliveries in one frame ({@code data.tags});
 * a client that does not offer it sees the protocol as before.
 */
class HubBatchingTest {
    private static final Map<String, String> OFFER = Map.of(Frames.FEATURES_HEADER, Frames.FEATURE_BATCH);

    private static String event(int n) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"svc\",\"type\":\"v1.kit.pinged\""
                + ",\"courierwsto\":\"event:v1.kit.pinged\",\"courierwsseq\":\"p" + n + "\",\"data\":{\"n\":" + n + "}}";
    }

    /** Every seq confirmed so far, one entry per confirm (single confirms and batched ones alike). */
    private static List<String> confirmed(RawClient c) {
        List<String> out = new ArrayList<>();
        for (JsonNode f : c.frames) {
            if (!Frames.CONFIRM.equals(f.path("type").asText())) {
                continue;
            }
            if (f.has(Frames.SEQ)) {
                out.add(f.path(Frames.SEQ).asText());
            }
            for (JsonNode s : f.path("data").path("seqs")) {
                out.add(s.asText());
            }
        }
        return out;
    }

    @Test
    void aClientThatOffersBatchGetsItInTheWelcomeAndEveryPublishConfirmedExactlyOnce() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().build().start();
             RawClient c = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null, OFFER)) {
            JsonNode welcome = c.await(RawClient.type(Frames.WELCOME), "welcome");
            List<String> features = new ArrayList<>();
            welcome.path("data").path("features").forEach(n -> features.add(n.asText()));
            assertEquals(List.of(Frames.FEATURE_BATCH), features, "the welcome names the feature in effect: " + welcome);
            int n = 200;
            for (int i = 1; i <= n; i++) {
                c.send(event(i));
            }
            Await.until(Duration.ofSeconds(10), () -> confirmed(c).size() >= n, () -> "confirms: " + confirmed(c));
            List<String> got = confirmed(c);
            assertEquals(n, got.size(), "each publish confirmed once: " + got);
            for (int i = 1; i <= n; i++) {
                assertTrue(got.contains("p" + i), "p" + i + " confirmed");
            }
        }
    }

    @Test
    void aClientThatDoesNotOfferItSeesTheProtocolAsBefore() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().build().start();
             RawClient c = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
            JsonNode welcome = c.await(RawClient.type(Frames.WELCOME), "welcome");
            assertFalse(welcome.path("data").path("features").toString().contains(Frames.FEATURE_BATCH), welcome.toString());
            for (int i = 1; i <= 50; i++) {
                c.send(event(i));
            }
            Await.until(Duration.ofSeconds(10), () -> confirmed(c).size() >= 50, () -> "confirms: " + confirmed(c));
            for (JsonNode f : c.frames) {
                if (Frames.CONFIRM.equals(f.path("type").asText())) {
                    assertTrue(f.has(Frames.SEQ) && !f.path("data").has("seqs"), "one confirm per publish: " + f);
                }
            }
        }
    }

    @Test
    void aBatchedAckSettlesExactlyTheTagsItNames() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().build().start();
             RawClient consumer = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null, OFFER);
             RawClient publisher = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
            consumer.send(control("subscribe", "s1", "{\"sub\":\"w\",\"address\":\"event:v1.kit.pinged\",\"group\":\"workers\","
                    + "\"prefetch\":10}"));
            consumer.await(RawClient.type(Frames.CONFIRM), "subscribed");
            for (int i = 1; i <= 4; i++) {
                publisher.send(event(i));
            }
            Map<Integer, Long> tags = new HashMap<>();
            Await.until(Duration.ofSeconds(10), () -> {
                tags.clear();
                consumer.frames.stream().filter(RawClient.type("v1.kit.pinged"))
                        .forEach(f -> tags.put(f.path("data").path("n").asInt(), f.path(Frames.TAG).asLong()));
                return tags.size() == 4;
            }, () -> "four deliveries: " + consumer.frames);

            // ack 1 and 3 in one frame (and a tag that does not exist): 2 and 4 stay unsettled
            consumer.send(control("ack", "b1", "{\"tags\":[" + tags.get(1) + "," + tags.get(3) + ",999999]}"));
            JsonNode err = consumer.await(f -> RawClient.error("unknown_tag").test(f) && "b1".equals(f.path(Frames.SEQ).asText()),
                    "the unknown tag is named");
            assertTrue(err.path("data").path("message").asText().contains("999999"), err.toString());
            consumer.send(control("ack", "a1", "{\"tag\":" + tags.get(1) + "}"));
            consumer.await(f -> RawClient.error("unknown_tag").test(f) && "a1".equals(f.path(Frames.SEQ).asText()),
                    "1 was settled by the batch");
            consumer.send(control("ack", "a2", "{\"tag\":" + tags.get(2) + "}"));
            consumer.await(f -> Frames.CONFIRM.equals(f.path("type").asText()) && "a2".equals(f.path(Frames.SEQ).asText()),
                    "2 was not settled by the batch");
            consumer.send(control("ack", "b2", "{\"tags\":[" + tags.get(4) + "]}"));
            consumer.await(f -> Frames.CONFIRM.equals(f.path("type").asText()) && "b2".equals(f.path(Frames.SEQ).asText()),
                    "a batch with nothing unknown is confirmed when it asks");
            consumer.send(control("ack", "b3", "{\"tags\":[" + tags.get(3) + "]}"));
            consumer.await(f -> RawClient.error("unknown_tag").test(f) && "b3".equals(f.path(Frames.SEQ).asText()),
                    "3 was settled by the first batch");
            consumer.send(control("ack", "b4", "{\"tags\":[\"x\"]}"));
            consumer.await(f -> RawClient.error("malformed").test(f) && "b4".equals(f.path(Frames.SEQ).asText()),
                    "tags must be numbers");
        }
    }
}
