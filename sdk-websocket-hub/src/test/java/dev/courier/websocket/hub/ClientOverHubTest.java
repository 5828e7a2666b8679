package dev.courier.websocket.hub;

import dev.courier.TransportConnectException;
import dev.courier.spi.Address;
import dev.courier.spi.TransportContext;
import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.UnroutableException;
import dev.courier.kit.Await;
import dev.courier.spi.Delivery;
import dev.courier.spi.StaleDeliveryException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The client's rules that need a real hub: stale settles, the hub's 'unroutable', and TLS (wss:// with the
 * SSLContext of its WebSocketConfig, against a hub with a self-signed certificate).
 */
class ClientOverHubTest {
    private static final byte[] BODY = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);

    private static Map<String, String> headers(String id) {
        return Map.of("id", id, "type", "v1.kit.pinged", "source", "t", "specversion", "1.0",
                "datacontenttype", "application/json");
    }

    private static TransportContext context(Duration publishTimeout, Duration startTimeout) {
        return new TransportContext("rules", "r1", publishTimeout).withStartTimeout(startTimeout);
    }

    private static Throwable failure(CompletableFuture<?> f, Duration within) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(within.toMillis(), TimeUnit.MILLISECONDS));
        return e.getCause();
    }

    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        open.add(c);
        return c;
    }

    private WebSocketTransport client(String uri) {
        return closing(WebSocketTransport.of(WebSocketConfig.builder(uri).token(TestHubs.SERVICE_TOKEN)
                .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200)).build()));
    }

    /** Failed before: a stale settle failed with a bare CourierException. */
    @Test
    void aSettleAfterTheConnectionDroppedFailsWithStaleDeliveryException() throws Exception {
        WebSocketHub hub = closing(TestHubs.builder().build().start());
        WebSocketTransport t = client(hub.uri().toString());
        t.start(context(Duration.ofSeconds(5), Duration.ofSeconds(10)));
        CompletableFuture<Delivery> got = new CompletableFuture<>();
        t.subscribe(Address.event("v1.kit.pinged"), "stale", 4, got::complete);
        t.publish(Address.event("v1.kit.pinged"), headers("s1"), BODY).get(10, TimeUnit.SECONDS);
        Delivery d = got.get(10, TimeUnit.SECONDS);
        hub.dropConnections();
        Await.until(Duration.ofSeconds(10), () -> !t.isConnected(), () -> "the client saw the drop");
        assertInstanceOf(StaleDeliveryException.class, failure(d.ack(), Duration.ofSeconds(5)));
    }

    /** Failed before: the hub's 'unroutable' error reached the publisher as a plain PublishException. */
    @Test
    void aCommandNobodyHandlesFailsWithUnroutableException() throws Exception {
        WebSocketHub hub = closing(TestHubs.builder().build().start());
        WebSocketTransport t = client(hub.uri().toString());
        t.start(context(Duration.ofSeconds(5), Duration.ofSeconds(10)));
        Map<String, String> h = new java.util.HashMap<>(headers("u1"));
        h.put("type", "v1.kit.ping");
        Throwable e = failure(t.publish(Address.command("v1.kit.ping"), h, BODY), Duration.ofSeconds(10));
        assertInstanceOf(UnroutableException.class, e);
    }


    /**
     * wss:// with the config's SSLContext (a private CA: the hub's self-signed certificate) works over an
     * address list; without it, the JVM's trust store refuses the hub and start fails with
     * TransportConnectException at the start timeout.
     */
    @Test
    void wssTrustsWhatTheConfiguredSslContextTrustsAndNothingElse(@TempDir Path dir) throws Exception {
        SSLContext[] ctx = TestTls.serverAndClient(dir);
        int down;
        try (ServerSocket s = new ServerSocket(0)) {
            down = s.getLocalPort();
        }
        try (WebSocketHub hub = TestHubs.builder().sslContext(ctx[0]).build().start()) {
            String uri = "wss://127.0.0.1:" + down + ",127.0.0.1:" + hub.port() + "/";
            try (WebSocketTransport trusted = WebSocketTransport.of(WebSocketConfig.builder(uri)
                    .token(TestHubs.SERVICE_TOKEN).sslContext(ctx[1]).build());
                 WebSocketTransport untrusted = WebSocketTransport.of(WebSocketConfig.builder(uri)
                         .token(TestHubs.SERVICE_TOKEN).reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200)).build())) {
                trusted.start(new TransportContext("tls", "t1", Duration.ofSeconds(5)).withStartTimeout(Duration.ofSeconds(10)));
                trusted.publish(Address.event("v1.kit.pinged"), Map.of("id", "tls1", "type", "v1.kit.pinged", "source", "t",
                        "specversion", "1.0", "datacontenttype", "application/json"),
                        "{\"n\":1}".getBytes(StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
                assertThrows(TransportConnectException.class, () -> untrusted.start(new TransportContext("tls", "t2",
                        Duration.ofSeconds(5)).withStartTimeout(Duration.ofMillis(1500))),
                        "the JVM's trust store does not trust the hub's self-signed certificate");
            }
        }
    }
}
