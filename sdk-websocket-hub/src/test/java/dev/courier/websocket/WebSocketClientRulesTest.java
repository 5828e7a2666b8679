package dev.courier.websocket;

import dev.courier.PublishTimeoutException;
import dev.courier.TransportConnectException;
import dev.courier.kit.Await;
import dev.courier.websocket.hub.TestHubs;
import dev.courier.spi.Address;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's connection rules, the same as every transport's since it builds on the support
 * package (issue 13): start-up retries until the start timeout, one back-pressure rule for a full
 * window, a deadline on every confirm, resend after a reconnect, stale settles, typed refusals.
 */
class WebSocketClientRulesTest {
    private static final byte[] BODY = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
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

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort(); // nobody listens there once closed
        }
    }

    private static TransportContext context(Duration publishTimeout, Duration startTimeout) {
        return new TransportContext("rules", "r1", publishTimeout).withStartTimeout(startTimeout);
    }

    private static Throwable failure(CompletableFuture<?> f, Duration within) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(within.toMillis(), TimeUnit.MILLISECONDS));
        return e.getCause();
    }

    private WebSocketTransport client(String uri) {
        return closing(WebSocketTransport.of(WebSocketConfig.builder(uri).token(TestHubs.SERVICE_TOKEN)
                .reconnectDelay(Duration.ofMillis(20), Duration.ofMillis(200)).build()));
    }

    /** Failed before: start threw a bare CourierException at the first refused connect. */
    @Test
    void startAgainstAHubThatIsDownRetriesUntilTheStartTimeoutThenThrowsTransportConnectException() throws Exception {
        int port = freePort();
        WebSocketTransport t = client("ws://127.0.0.1:" + port + "/");
        long t0 = System.nanoTime();
        TransportConnectException e = assertThrows(TransportConnectException.class,
                () -> t.start(context(Duration.ofSeconds(5), Duration.ofMillis(1500))));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(took >= 1400 && took < 6000, "gives up at the start timeout of 1.5 s, took " + took + " ms");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("attempts"), e.getMessage());
    }

    /** Failed before: start gave up at the first refused connect instead of waiting for the hub. */
    @Test
    void startKeepsTryingTheAddressListUntilAHubComesUp() throws Exception {
        int down = freePort();
        int late = freePort();
        WebSocketTransport t = client("ws://127.0.0.1:" + down + ",127.0.0.1:" + late + "/");
        CompletableFuture<Void> started = CompletableFuture.runAsync(() -> t.start(context(Duration.ofSeconds(5),
                Duration.ofSeconds(20))));
        Await.stays(Duration.ofMillis(500), () -> !started.isDone(), () -> "start must keep trying while no hub answers: "
                + started);
        closing(new FakeHub(late).begin()); // the second hub of the list comes up
        started.get(20, TimeUnit.SECONDS);
        assertTrue(t.isConnected(), "the address list is tried in order: the first hub is down, the second answers");
        assertEquals("127.0.0.1:" + down + ",127.0.0.1:" + late, t.host());
    }

    /** Failed before: a confirm that never came was failed by a timer per message; now by the tracker's sweep. */
    @Test
    void aConfirmThatNeverComesFailsWithPublishTimeoutException() throws Exception {
        FakeHub hub = closing(new FakeHub().begin());
        WebSocketTransport t = client(hub.uri().toString());
        t.start(context(Duration.ofMillis(500), Duration.ofSeconds(10)));
        CompletableFuture<Void> f = t.publish(Address.event("v1.kit.pinged"), WebSocketClientTest.headers("x1"), BODY);
        assertInstanceOf(PublishTimeoutException.class, failure(f, Duration.ofSeconds(10)));
        assertEquals(0, t.publishWindow().inFlight(), "the timed-out publish gave its place back");
    }

    /** Failed before: a full window failed the next publish at once with a PublishException. */
    @Test
    void aPublishPastAFullWindowWaitsUpToThePublishTimeoutThenFails() throws Exception {
        FakeHub hub = closing(new FakeHub().begin());
        WebSocketTransport t = closing(WebSocketTransport.of(WebSocketConfig.builder(hub.uri()).maxInFlight(2).build()));
        t.start(context(Duration.ofMillis(800), Duration.ofSeconds(10)));
        Address to = Address.event("v1.kit.pinged");
        t.publish(to, WebSocketClientTest.headers("w1"), BODY);
        t.publish(to, WebSocketClientTest.headers("w2"), BODY);
        assertEquals(2, t.publishWindow().inFlight());
        long t0 = System.nanoTime();
        CompletableFuture<Void> past = t.publish(to, WebSocketClientTest.headers("w3"), BODY);
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Throwable e = failure(past, Duration.ofSeconds(10));
        assertInstanceOf(PublishTimeoutException.class, e);
        assertTrue(waited >= 500, "the publish past a full window waited for room (up to the publish timeout; the"
                + " others' deadlines free it first), waited " + waited + " ms: " + e);
    }

    /** Unconfirmed publishes are sent again, with the same id, on the next connection; their futures complete. */
    @Test
    void unconfirmedPublishesAreSentAgainAfterAReconnect() throws Exception {
        FakeHub hub = closing(new FakeHub().begin());
        WebSocketTransport t = client(hub.uri().toString());
        t.start(context(Duration.ofSeconds(20), Duration.ofSeconds(10)));
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            fs.add(t.publish(Address.event("v1.kit.pinged"), WebSocketClientTest.headers(id), BODY));
        }
        Await.until(Duration.ofSeconds(10), () -> ids.stream().allMatch(id -> hub.publishesOf(id) == 1),
                () -> "the hub got every publish once");
        hub.confirming = true;
        hub.dropAll();
        CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(20, TimeUnit.SECONDS);
        assertTrue(ids.stream().allMatch(id -> hub.publishesOf(id) == 2), "each publish was sent again once, same id");
        assertEquals(0, t.publishWindow().inFlight());
    }
}
