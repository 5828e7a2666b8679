package dev.courier.websocket.hub;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.kit.Await;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static dev.courier.websocket.hub.HubSecurityTest.control;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Personal (browser-tab) subscriptions: each tab its own copy, filtered to what its principal may see. */
class HubPersonalTest {

    private static String event(String id, String correlation, String subject, int n) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"svc\",\"type\":\"v1.kit.pinged\""
                + ",\"datacontenttype\":\"application/json\",\"correlationid\":\"" + correlation + "\""
                + (subject == null ? "" : ",\"subject\":\"" + subject + "\"")
                + ",\"courierwsto\":\"event:v1.kit.pinged\",\"courierwsseq\":\"e" + n + "\",\"data\":{\"n\":" + n + "}}";
    }

    private static boolean got(RawClient c, int n) {
        return c.frames.stream().anyMatch(f -> "v1.kit.pinged".equals(f.path("type").asText()) && f.path("data").path("n").asInt() == n);
    }

    @Test
    void oneCustomerNeverSeesAnothersEventsAndEveryTabGetsItsOwnCopy() throws Exception {
        try (WebSocketHub hub = TestHubs.builder().build().start();
             RawClient service = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null);
             RawClient aliceTab1 = RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null);
             RawClient aliceTab2 = RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null);
             RawClient bob = RawClient.connect(hub.uri(), TestHubs.BOB_TOKEN, null)) {
            for (RawClient c : new RawClient[] {aliceTab1, aliceTab2, bob}) {
                c.send(control("subscribe", "s", "{\"sub\":\"mine\",\"address\":\"event:v1.kit.pinged\"}"));
                c.await(RawClient.type(Frames.CONFIRM), "personal subscription confirmed");
            }
            service.send(control("subscribe", "s", "{\"sub\":\"cmd\",\"address\":\"command:v1.kit.ping\",\"group\":\"pinger\"}"));
            service.await(RawClient.type(Frames.CONFIRM), "service consumes commands");

            service.send(event(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", 1));
            service.send(event(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "bob", 2));
            Await.until(Duration.ofSeconds(10), () -> got(aliceTab1, 1) && got(aliceTab2, 1) && got(bob, 2),
                    () -> "subject-addressed events reach their principal's tabs");

            // alice's tab 1 sends a command; the service's follow-up event carries its correlation id
            String commandId = UUID.randomUUID().toString();
            aliceTab1.send("{\"specversion\":\"1.0\",\"id\":\"" + commandId + "\",\"source\":\"tab\",\"type\":\"v1.kit.ping\","
                    + "\"correlationid\":\"" + commandId + "\",\"courierwsto\":\"command:v1.kit.ping\",\"courierwsseq\":\"c1\",\"data\":{\"n\":0}}");
            JsonNode cmd = service.await(n -> "v1.kit.ping".equals(n.path("type").asText()), "the command reaches the service");
            service.send(control("ack", "a1", "{\"tag\":" + cmd.path("courierwstag").asLong() + "}"));
            service.send(event(UUID.randomUUID().toString(), commandId, null, 3));
            Await.until(Duration.ofSeconds(10), () -> got(aliceTab1, 3), () -> "the tab that started the conversation sees it");

            service.send(event(UUID.randomUUID().toString(), UUID.randomUUID().toString(), null, 4));
            service.send(event(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "alice", 5));
            Await.until(Duration.ofSeconds(10), () -> got(aliceTab1, 5) && got(aliceTab2, 5), () -> "sentinel");
            assertTrue(!got(bob, 1) && !got(bob, 3) && !got(bob, 5), "bob never sees alice's events: " + bob.frames);
            assertTrue(!got(aliceTab1, 2) && !got(aliceTab2, 2), "alice never sees bob's events");
            assertTrue(!got(aliceTab2, 3), "a conversation is seen by the tab that started it");
            assertTrue(!got(aliceTab1, 4) && !got(bob, 4), "an event for nobody in particular is delivered to no tab");
        }
    }
}
