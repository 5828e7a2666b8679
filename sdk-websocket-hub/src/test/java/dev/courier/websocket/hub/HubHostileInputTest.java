package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketTransport;
import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static dev.courier.websocket.hub.HubSecurityTest.control;
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

    /** A backbone that counts the subscriptions open on it. */
    static final class CountingBackbone implements dev.courier.spi.Transport {
        final dev.courier.spi.Transport delegate;
        final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();

        CountingBackbone(dev.courier.spi.Transport delegate) {
            this.delegate = delegate;
        }

        @Override
        public void start(dev.courier.spi.TransportContext context) {
            delegate.start(context);
        }

        @Override
        public java.util.concurrent.CompletableFuture<Void> publish(dev.courier.spi.Address to,
                java.util.Map<String, String> headers, byte[] body) {
            return delegate.publish(to, headers, body);
        }

        @Override
        public dev.courier.spi.TransportSubscription subscribe(dev.courier.spi.Address address, String group, int prefetch,
                dev.courier.spi.DeliveryCallback callback) {
            dev.courier.spi.TransportSubscription s = delegate.subscribe(address, group, prefetch, callback);
            open.incrementAndGet();
            java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
            return new dev.courier.spi.TransportSubscription() {
                @Override
                public boolean isActive() {
                    return s.isActive();
                }

                @Override
                public void close() {
                    if (closed.compareAndSet(false, true)) {
                        open.decrementAndGet();
                    }
                    s.close();
                }
            };
        }

        @Override
        public <T> java.util.Optional<T> ability(Class<T> type) {
            return delegate.ability(type);
        }

        @Override
        public boolean isConnected() {
            return delegate.isConnected();
        }

        @Override
        public java.util.Set<dev.courier.spi.Capability> capabilities() {
            return delegate.capabilities();
        }

        @Override
        public String describe() {
            return "counting " + delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /**
     * Issue 11.9: personal routes are reference-counted — many personal subscriptions on many event
     * names, then unsubscribes and disconnects, leave no route and no backbone subscription; a route
     * other tabs still use stays and keeps delivering.
     */
    @Test
    void personalRoutesAreFreedWhenTheirLastSubscriberLeaves() throws Exception {
        CountingBackbone backbone = new CountingBackbone(dev.courier.memory.InMemoryBroker.create(1000, 1000).connect());
        WebSocketHub hub = keep(TestHubs.builder().backbone(backbone, Duration.ofSeconds(5)).build().start());
        RawClient stays = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        stays.send(control("subscribe", "k", "{\"sub\":\"keep\",\"address\":\"event:v1.kit.shared\"}"));
        assertEquals("confirm", outcome(stays, "k"));
        for (int c = 0; c < 8; c++) {
            RawClient tab = RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null);
            for (int i = 0; i < 50; i++) {
                tab.send(control("subscribe", "s" + i, "{\"sub\":\"p" + i + "\",\"address\":\"event:v1.kit.n" + c + "x" + i + "\"}"));
            }
            tab.send(control("subscribe", "shared", "{\"sub\":\"shared\",\"address\":\"event:v1.kit.shared\"}"));
            assertEquals("confirm", outcome(tab, "shared"));
            for (int i = 0; i < 10; i++) {
                tab.send(control("unsubscribe", "u" + i, "{\"sub\":\"p" + i + "\"}"));
            }
            assertEquals("confirm", outcome(tab, "u9"));
            tab.close();
        }
        Await.until(Duration.ofSeconds(10), () -> hub.personalRouteCount() == 1 && backbone.open.get() == 1,
                () -> "after every tab left, only the route still in use should remain: routes "
                        + hub.personalRouteCount() + ", backbone subscriptions " + backbone.open.get());
        RawClient service = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        service.send("{\"specversion\":\"1.0\",\"id\":\"" + java.util.UUID.randomUUID() + "\",\"source\":\"s\","
                + "\"type\":\"v1.kit.shared\",\"subject\":\"alice\",\"courierwsto\":\"event:v1.kit.shared\","
                + "\"courierwsseq\":\"e1\",\"data\":{\"n\":1}}");
        stays.await(n -> "v1.kit.shared".equals(n.path("type").asText()), "the remaining subscriber of a shared route"
                + " still gets its events");
        stays.close();
        Await.until(Duration.ofSeconds(10), () -> hub.personalRouteCount() == 0 && backbone.open.get() == 0,
                () -> "no route may outlive its last subscriber: routes " + hub.personalRouteCount()
                        + ", backbone subscriptions " + backbone.open.get());
    }

    static String command(String id, String seq) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"tab\",\"type\":\"v1.kit.ping\","
                + "\"courierwsto\":\"command:v1.kit.ping\",\"courierwsseq\":\"" + seq + "\",\"data\":{\"n\":0}}";
    }

    static String correlatedEvent(String correlation, int n) {
        return "{\"specversion\":\"1.0\",\"id\":\"" + java.util.UUID.randomUUID() + "\",\"source\":\"svc\","
                + "\"type\":\"v1.kit.pinged\",\"correlationid\":\"" + correlation + "\",\"courierwsto\":\"event:v1.kit.pinged\","
                + "\"courierwsseq\":\"e" + n + "\",\"data\":{\"n\":" + n + "}}";
    }

    static boolean got(RawClient c, int n) {
        return c.frames.stream().anyMatch(f -> "v1.kit.pinged".equals(f.path("type").asText()) && f.path("data").path("n").asInt() == n);
    }

    /**
     * Issue 11.10: a client that sends a message whose id is another principal's message id must not
     * see that conversation's events; and a send the hub refused registers no id at all.
     */
    @Test
    void aClientCannotClaimAnotherPrincipalsMessageIdAndAFailedSendClaimsNothing() throws Exception {
        WebSocketHub hub = keep(TestHubs.builder().build().start());
        RawClient alice = keep(RawClient.connect(hub.uri(), TestHubs.ALICE_TOKEN, null));
        RawClient bob = keep(RawClient.connect(hub.uri(), TestHubs.BOB_TOKEN, null));
        for (RawClient c : List.of(alice, bob)) {
            c.send(control("subscribe", "p", "{\"sub\":\"mine\",\"address\":\"event:v1.kit.pinged\"}"));
            assertEquals("confirm", outcome(c, "p"));
        }
        // a send nobody consumes fails (unroutable): it must claim nothing
        String failed = java.util.UUID.randomUUID().toString();
        alice.send(command(failed, "f1"));
        assertEquals("unroutable", outcome(alice, "f1"));

        RawClient service = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        service.send(control("subscribe", "s", "{\"sub\":\"cmd\",\"address\":\"command:v1.kit.ping\",\"group\":\"pinger\"}"));
        assertEquals("confirm", outcome(service, "s"));
        String aliceId = java.util.UUID.randomUUID().toString();
        alice.send(command(aliceId, "a1"));
        assertEquals("confirm", outcome(alice, "a1"));
        bob.send(command(aliceId, "b1"));
        assertEquals("forbidden", outcome(bob, "b1"), "bob may not send a message with alice's message id");
        alice.send(command(aliceId, "a2"));
        assertEquals("confirm", outcome(alice, "a2"), "the principal that owns an id may send it again (a retry)");

        service.send(correlatedEvent(aliceId, 1));
        service.send(correlatedEvent(failed, 2));
        service.send(correlatedEvent("sentinel", 3));
        alice.send(command("sentinel", "a3"));
        assertEquals("confirm", outcome(alice, "a3"));
        service.send(correlatedEvent("sentinel", 4));
        Await.until(Duration.ofSeconds(10), () -> got(alice, 1) && got(alice, 4), () -> "alice sees her conversation");
        Await.stays(Duration.ofMillis(300), () -> !got(bob, 1), () -> "bob claimed alice's id and sees her conversation: "
                + bob.frames);
        org.junit.jupiter.api.Assertions.assertFalse(got(alice, 2), "a refused send registered its id: alice sees"
                + " events of a conversation the hub never accepted");
        alice.close();
        bob.close();
        service.close();
        Await.until(Duration.ofSeconds(10), () -> hub.claimedIdCount() == 0, () -> "ids are released with the"
                + " connections that claimed them; still claimed: " + hub.claimedIdCount());
    }

    /**
     * Issue 10.7: a publisher sets {@code subject} freely and the hub matches it against grant patterns,
     * so attributes are capped at the edge (in UTF-8 bytes): a 4,000-character subject is refused with
     * {@code too_large}, and the Java client states the hub's limits in {@code Transport.limits()}.
     */
    @Test
    void anOverlongSubjectIsRefusedAtTheEdgeAndTheClientStatesTheHubsLimits() throws Exception {
        WebSocketHub hub = keep(TestHubs.builder().maxMessageBytes(128 * 1024).build().start());
        RawClient service = keep(RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null));
        JsonNode welcome = service.await(RawClient.type(Frames.WELCOME), "welcome");
        assertEquals(WebSocketHub.DEFAULT_MAX_ATTRIBUTE_BYTES, welcome.path("data").path("maxAttributeBytes").asInt());
        String subject = "a".repeat(4000);
        service.send("{\"specversion\":\"1.0\",\"id\":\"" + java.util.UUID.randomUUID() + "\",\"source\":\"s\","
                + "\"type\":\"v1.kit.pinged\",\"subject\":\"" + subject + "\",\"courierwsto\":\"event:v1.kit.pinged\","
                + "\"courierwsseq\":\"big\",\"data\":{\"n\":1}}");
        assertEquals("too_large", outcome(service, "big"), "a 4,000-byte subject is over the attribute limit");
        String ue = "\u00fc".repeat(WebSocketHub.DEFAULT_MAX_ATTRIBUTE_BYTES / 2 + 1); // fewer characters than bytes
        service.send("{\"specversion\":\"1.0\",\"id\":\"" + ue + "\",\"source\":\"s\",\"type\":\"v1.kit.pinged\","
                + "\"courierwsto\":\"event:v1.kit.pinged\",\"courierwsseq\":\"ue\",\"data\":{\"n\":1}}");
        assertEquals("too_large", outcome(service, "ue"), "limits are counted in UTF-8 bytes");

        try (WebSocketTransport t = TestHubs.client(hub, TestHubs.SERVICE_TOKEN)) {
            t.start(new dev.courier.spi.TransportContext("lim", "l1", Duration.ofSeconds(5)));
            dev.courier.spi.Limits l = t.limits();
            assertEquals(WebSocketHub.DEFAULT_MAX_ATTRIBUTE_BYTES, l.maxAttributeBytes());
            org.junit.jupiter.api.Assertions.assertTrue(l.maxBodyBytes() < 128 * 1024 && l.maxBodyBytes() >= 32 * 1024,
                    "the body limit follows the hub's frame size: " + l);
        }
    }
}
