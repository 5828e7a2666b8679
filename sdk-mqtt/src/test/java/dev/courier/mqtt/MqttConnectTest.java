package dev.courier.mqtt;

import dev.courier.TransportConnectException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Start-up and the address list against the real broker and a dead port: start retries until the
 * bus's start timeout and then throws TransportConnectException (it threw IllegalStateException after
 * one attempt before), and a dead first host is skipped on every connect.
 */
class MqttConnectTest {
    private static final MqttTestSupport SUPPORT = new MqttTestSupport(MqttConfig.Version.V5);
    private final List<String> namespaces = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void broker() {
        MqttBroker.uri();
    }

    @AfterEach
    void cleanUp() {
        namespaces.forEach(SUPPORT::deleteNamespace);
    }

    private String namespace() {
        String ns = "mqconn" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        namespaces.add(ns);
        return ns;
    }

    /** A port nobody listens on (taken from the OS, then released). */
    static int deadPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void startAgainstADeadBrokerRetriesUntilTheStartTimeoutThenThrowsTransportConnectException() throws Exception {
        int dead = deadPort();
        for (MqttConfig.Version v : MqttConfig.Version.values()) {
            String ns = namespace();
            MqttTransport t = SUPPORT.newTransport(ns, b -> b.version(v).host("127.0.0.1").port(dead)
                    .connectTimeout(Duration.ofSeconds(1)));
            Duration startTimeout = Duration.ofMillis(1500);
            long t0 = System.nanoTime();
            TransportConnectException e = assertThrows(TransportConnectException.class, () -> t.start(
                    new TransportContext("connsvc", "i1", Duration.ofSeconds(5)).withStartTimeout(startTimeout)));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(took >= 1_200 && took < 6_000, v + ": kept trying for the start timeout, took " + took + " ms");
            assertTrue(e.getMessage().contains("127.0.0.1:" + dead) && e.getMessage().contains("attempts"),
                    e.getMessage());
            assertTrue(t.publish(Address.event("v1.conn.x"), Map.of(), new byte[0]).isCompletedExceptionally(),
                    "a failed start leaves a transport that fails publishes, never throws");
            t.close();
        }
    }

    @Test
    void aDeadFirstHostIsSkippedAndTheLiveSecondOneUsed() throws Exception {
        int dead = deadPort();
        String live = MqttBroker.uri().getHost() + ":" + MqttBroker.uri().getPort();
        for (MqttConfig.Version v : MqttConfig.Version.values()) {
            String ns = namespace();
            MqttConfig base = MqttBroker.config(v, ns);
            MqttConfig cfg = MqttConfig.fromUri("mqtt://127.0.0.1:" + dead + "," + live).toBuilder().version(v)
                    .topicPrefix(ns).clientIdPrefix(ns).sessionExpiry(base.sessionExpiry()).build();
            MqttTransport t = SUPPORT.newTransport(ns, cfg);
            try {
                t.start(new TransportContext("connsvc", "i1", Duration.ofSeconds(10)).withStartTimeout(Duration.ofSeconds(20)));
                CompletableFuture<String> got = new CompletableFuture<>();
                t.subscribe(Address.event("v1.conn.placed"), "connsvc", 4, (Delivery d) -> {
                    d.ack();
                    got.complete(d.headers().get(Headers.ID));
                });
                String id = UUID.randomUUID().toString();
                t.publish(Address.event("v1.conn.placed"), Map.of(Headers.ID, id, Headers.SPECVERSION, "1.0",
                        Headers.TYPE, "v1.conn.placed", Headers.SOURCE, "test"), "{}".getBytes())
                        .get(10, TimeUnit.SECONDS);
                assertEquals(id, got.get(10, TimeUnit.SECONDS), v + ": works through the second host");
                assertTrue(t.describe().contains("127.0.0.1:" + dead + "," + live), t.describe());
            } finally {
                t.close();
            }
        }
    }

    /**
     * Evidence that Courier, not HiveMQ, must resend: a connection blackholed in the middle of a stream
     * of publishes (PUBLISHes sent, no PUBACK), then cut; the reconnect is quick, so with Courier's
     * park/resume every publish succeeds well within its publish timeout and arrives. (With
     * {@code Outbox.down()} not parking, the publishes unconfirmed at the cut time out: the HiveMQ client
     * that held them is discarded with its connection and nobody sends them again.)
     */
    @Test
    void publishesUnconfirmedAtACutAreSentAgainAndAllSucceed() throws Exception {
        for (MqttConfig.Version v : MqttConfig.Version.values()) {
            String ns = namespace();
            java.net.InetSocketAddress broker = MqttTestSupport.brokerAddress();
            try (dev.courier.kit.NetworkFault fault = dev.courier.kit.NetworkFault.to(broker)) {
                MqttTransport consumer = SUPPORT.newTransport(ns, b -> b.version(v));
                MqttTransport t = SUPPORT.newTransport(ns, b -> b.version(v).host(fault.address().getHostString())
                        .port(fault.address().getPort()));
                try {
                    consumer.start(new TransportContext("resendsvc", "c1", Duration.ofSeconds(20)));
                    java.util.Set<String> got = java.util.concurrent.ConcurrentHashMap.newKeySet();
                    consumer.subscribe(Address.event("v1.conn.resent"), "resendsvc", 64, (Delivery d) -> {
                        got.add(d.headers().get(Headers.ID));
                        d.ack();
                    });
                    t.start(new TransportContext("resendpub", "p1", Duration.ofSeconds(20)));
                    List<String> ids = new java.util.ArrayList<>();
                    List<CompletableFuture<Void>> fs = new java.util.ArrayList<>();
                    for (int i = 0; i < 100; i++) {
                        if (i == 50) {
                            fault.blackhole(); // these are sent and never confirmed on this connection
                        }
                        String id = UUID.randomUUID().toString();
                        ids.add(id);
                        fs.add(t.publish(Address.event("v1.conn.resent"), Map.of(Headers.ID, id, Headers.SPECVERSION,
                                "1.0", Headers.TYPE, "v1.conn.resent", Headers.SOURCE, "test"), "{}".getBytes()));
                    }
                    fault.cut();
                    fault.heal();
                    long t0 = System.nanoTime();
                    CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])).get(30, TimeUnit.SECONDS);
                    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    assertTrue(took < 19_000, v + ": confirmed after the reconnect, not at the publish timeout: " + took);
                    dev.courier.kit.Await.until(Duration.ofSeconds(20), () -> got.containsAll(ids), () -> v
                            + ": every confirmed publish arrives; missing "
                            + ids.stream().filter(id -> !got.contains(id)).count());
                } finally {
                    t.close();
                    consumer.close();
                }
            }
        }
    }
}
