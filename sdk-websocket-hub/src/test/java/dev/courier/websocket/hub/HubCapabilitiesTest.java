package dev.courier.websocket.hub;

import dev.courier.UnroutableException;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.testing.ForwardingTransport;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.websocket.protocol.Frames;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.protocols.Protocol;
import org.java_websocket.server.WebSocketServer;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13: the client transport reports what its hub's backbone can do (the welcome's
 * {@code capabilities} and {@code limits}), not every capability; an old hub that says nothing gets
 * the conservative default; and an {@code unroutable} error fails the publish with UnroutableException.
 */
class HubCapabilitiesTest {

    /** A backbone like MQTT 3.1.1: no requeue, no takeover, no unroutable detection; small attributes. */
    static final class PlainBackbone extends ForwardingTransport {
        PlainBackbone(Transport delegate) {
            super(delegate);
        }

        @Override
        public Set<Capability> capabilities() {
            return EnumSet.of(Capability.LARGE_MESSAGES);
        }

        @Override
        public Limits limits() {
            return new Limits(100, 2048, 8192, 2 * 1024 * 1024);
        }
    }

    private static WebSocketTransport started(URI uri) {
        WebSocketTransport client = WebSocketTransport.of(dev.courier.websocket.WebSocketConfig.builder(uri).token(TestHubs.SERVICE_TOKEN).build());
        client.start(new TransportContext("caps", "c1", Duration.ofSeconds(10)));
        return client;
    }

    @Test
    void aClientReportsOnlyWhatItsHubsBackboneCan() {
        Transport backbone = new PlainBackbone(InMemoryBroker.create(100, 100).connect());
        try (WebSocketHub hub = TestHubs.builder().backbone(backbone, Duration.ofSeconds(5)).build().start();
             WebSocketTransport client = started(hub.uri())) {
            assertEquals(EnumSet.of(Capability.LARGE_MESSAGES), client.capabilities(),
                    "the client may claim only what the hub's backbone can do");
            Limits l = client.limits();
            assertTrue(l.maxAttributeBytes() <= 100, "the backbone's attribute limit bounds the client's: " + l);
            assertTrue(l.maxHeaderValueBytes() <= 2048, "the backbone's header value limit bounds the client's: " + l);
            assertTrue(l.maxHeadersBytes() <= 8192, "the backbone's headers limit bounds the client's: " + l);
        }
    }

    @Test
    void aStandaloneHubOffersEverythingItsMemoryBrokerCan() {
        Set<Capability> memory = InMemoryBroker.create(100, 100).connect().capabilities();
        try (WebSocketHub hub = TestHubs.builder().build().start();
             WebSocketTransport client = started(hub.uri())) {
            assertEquals(memory, client.capabilities());
        }
    }

    /**
     * A backbone whose deliveries outlive its reconnects (Kafka) does not make the client's do so: a client's
     * deliveries live on its WebSocket session, which a reconnect to the hub replaces.
     */
    @Test
    void aClientsDeliveriesDoNotOutliveItsReconnectsWhateverTheBackbone() {
        Transport backbone = new ForwardingTransport(InMemoryBroker.create(100, 100).connect()) {
            @Override
            public Set<Capability> capabilities() {
                return EnumSet.of(Capability.REQUEUE, Capability.DELIVERIES_OUTLIVE_RECONNECTS);
            }
        };
        try (WebSocketHub hub = TestHubs.builder().backbone(backbone, Duration.ofSeconds(5)).build().start();
             WebSocketTransport client = started(hub.uri())) {
            assertEquals(EnumSet.of(Capability.REQUEUE), client.capabilities(),
                    "a reconnect to the hub makes the client's open deliveries stale, whatever the backbone keeps");
        }
    }

    /** A hub from before the welcome named its capabilities: the client claims nothing it cannot be sure of. */
    @Test
    void anOldHubThatSaysNothingGetsTheConservativeDefault() throws Exception {
        OldHub old = new OldHub();
        old.start();
        try {
            assertTrue(old.started.await(10, TimeUnit.SECONDS), "the old hub listens");
            try (WebSocketTransport client = started(URI.create("ws://127.0.0.1:" + old.getPort() + "/"))) {
                assertEquals(EnumSet.noneOf(Capability.class), client.capabilities(),
                        "an old hub does not say what its backbone can do: the client claims nothing");
            }
        } finally {
            old.stop(1000);
        }
    }

    @Test
    void anUnroutableCommandFailsItsPublishWithUnroutableException() {
        try (WebSocketHub hub = TestHubs.builder().build().start();
             WebSocketTransport client = started(hub.uri())) {
            Map<String, String> h = Map.of("id", UUID.randomUUID().toString(), "type", "v1.nobody.handles",
                    "source", "t", "specversion", "1.0", "datacontenttype", "application/json");
            ExecutionException e = assertThrows(ExecutionException.class, () -> client.publish(
                    Address.command("v1.nobody.handles"), h, "{}".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(UnroutableException.class, e.getCause(), "the hub's 'unroutable' error: " + e.getCause());
        }
    }

    /** Speaks the protocol as hubs did before issue 13: a welcome with limits and no capabilities. */
    private static final class OldHub extends WebSocketServer {
        final CountDownLatch started = new CountDownLatch(1);

        OldHub() {
            super(new InetSocketAddress("127.0.0.1", 0),
                    List.<Draft>of(new Draft_6455(Collections.emptyList(), List.of(new Protocol(Frames.PROTOCOL)))));
            setReuseAddr(true);
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            var d = Frames.data();
            d.put("protocol", "courier.ws/1");
            d.put("hub", "old");
            d.put("maxMessageBytes", Frames.DEFAULT_MAX_MESSAGE_BYTES);
            d.put("maxAttributeBytes", Frames.DEFAULT_MAX_ATTRIBUTE_BYTES);
            d.put("messagesPerSecond", 1000);
            conn.send(Frames.control(Frames.WELCOME, "/courier/hub/old", null, d));
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
        }

        @Override
        public void onStart() {
            started.countDown();
        }
    }
}
