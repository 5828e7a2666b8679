package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.CourierException;
import dev.courier.spi.TransportContext;
import org.java_websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java-WebSocket client hook (issue 15): what it changes reaches the handshake. */
class WebSocketCustomizerTest {
    private static final String GATEWAY_TOKEN = "gateway-token-1";
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private WebSocketHub hub(List<String> tokensSeen) {
        // only the gateway's token opens the hub: the transport's own token is refused
        WebSocketHub hub = TestHubs.builder().authenticator(token -> {
            tokensSeen.add(token);
            return GATEWAY_TOKEN.equals(token) ? TestHubs.SERVICE : null;
        }).build().start();
        toClose.add(hub::close);
        return hub;
    }

    @Test
    void aHeaderTheHookSetsReachesTheHandshake() {
        List<String> tokensSeen = new CopyOnWriteArrayList<>();
        List<WebSocketClient> customised = new CopyOnWriteArrayList<>();
        WebSocketHub hub = hub(tokensSeen);
        WebSocketTransport t = WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(TestHubs.SERVICE_TOKEN)
                .clientCustomizer(c -> {
                    customised.add(c);
                    c.addHeader("Authorization", "Bearer " + GATEWAY_TOKEN); // e.g. a gateway's credentials
                }).build());
        toClose.add(t::close);
        t.start(new TransportContext("custsvc", "i1", Duration.ofSeconds(10)));
        assertTrue(t.isConnected());
        assertEquals(1, customised.size(), "called once for the one connection");
        assertEquals(List.of(GATEWAY_TOKEN), tokensSeen, "the hub saw the header the hook set");
    }

    @Test
    void withoutTheHookTheSameTransportIsRefusedAndAHookThatThrowsFailsStart() {
        WebSocketHub hub = hub(new CopyOnWriteArrayList<>());
        WebSocketTransport plain = WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(TestHubs.SERVICE_TOKEN)
                .connectTimeout(Duration.ofSeconds(5)).build());
        toClose.add(plain::close);
        long t0 = System.nanoTime();
        assertThrows(dev.courier.ConfigurationException.class, () -> plain.start(new TransportContext("custsvc", "i2",
                Duration.ofSeconds(5)).withStartTimeout(Duration.ofSeconds(30))), "the hub refuses the transport's own token");
        assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(10), "a refused token ends start"
                + " at once: retrying cannot help");
        WebSocketTransport throwing = WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).token(TestHubs.SERVICE_TOKEN)
                .clientCustomizer(c -> {
                    throw new IllegalStateException("bad customizer");
                }).build());
        toClose.add(throwing::close);
        CourierException e = assertThrows(dev.courier.ConfigurationException.class,
                () -> throwing.start(new TransportContext("custsvc", "i3", Duration.ofSeconds(5))));
        assertTrue(e.getMessage().contains("bad customizer"), e.getMessage());
    }
}
