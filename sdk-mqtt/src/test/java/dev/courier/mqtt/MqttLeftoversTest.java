package dev.courier.mqtt;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAck;
import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a bus leaves on the broker when it closes normally (the README's quick start, run again and
 * again on one Mosquitto): nothing that nobody will ever claim. Found by the release engineer: every
 * run left a retained record and a persistent retry session, and every start logged WARNs about the
 * records earlier versions left. A raw HiveMQ client looks at the broker, as an operator would.
 */
class MqttLeftoversTest {
    private static final MqttTestSupport V5 = new MqttTestSupport(MqttConfig.Version.V5);
    private static final MqttTestSupport V3 = new MqttTestSupport(MqttConfig.Version.V3_1_1);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private final List<MessageBus> buses = new CopyOnWriteArrayList<>();
    private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();
    private String ns;

    @BeforeEach
    void setUp() {
        MqttBroker.uri();
        ns = "lo" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "x" + SEQ.incrementAndGet();
    }

    @AfterEach
    void tearDown() {
        for (MessageBus b : buses) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // keep cleaning
            }
        }
        List<Runnable> reversed = new ArrayList<>(cleanups);
        java.util.Collections.reverse(reversed);
        for (Runnable r : reversed) {
            try {
                r.run();
            } catch (RuntimeException e) {
                // keep cleaning
            }
        }
        V5.deleteNamespace(ns);
        V3.deleteNamespace(ns);
    }

    private MessageBus start(MqttTestSupport support, String service, String instance,
                             java.util.function.UnaryOperator<MessageBus.Builder> adjust) {
        MessageBus bus = adjust.apply(MessageBus.builder(service).transport(support.newTransport(ns)).instanceId(instance)
                .publishTimeout(Duration.ofSeconds(15)).closeTimeout(Duration.ofSeconds(10)).produces(Pinged.class)).build();
        buses.add(bus);
        bus.start();
        return bus;
    }

    private Mqtt5AsyncClient foreign() throws Exception {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(ns + "-look-" + UUID.randomUUID())
                .serverHost(MqttBroker.uri().getHost()).serverPort(MqttBroker.uri().getPort()).buildAsync();
        c.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
        cleanups.add(() -> c.disconnect());
        return c;
    }

    /** The retained messages under the namespace now, with their message expiry interval (-1: none). */
    private Map<String, Long> retained() {
        try {
            return retainedNow();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Long> retainedNow() throws Exception {
        Map<String, Long> seen = new ConcurrentHashMap<>();
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(ns + "-look-" + UUID.randomUUID())
                .serverHost(MqttBroker.uri().getHost()).serverPort(MqttBroker.uri().getPort()).buildAsync();
        c.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
        try {
            return retainedNow(c, seen);
        } finally {
            c.disconnect();
        }
    }

    private Map<String, Long> retainedNow(Mqtt5AsyncClient c, Map<String, Long> seen) throws Exception {
        String marker = ns + "/_look/" + UUID.randomUUID();
        Set<String> markers = ConcurrentHashMap.newKeySet();
        c.subscribeWith().topicFilter(ns + "/#").qos(MqttQos.AT_LEAST_ONCE).callback(p -> {
            if (p.getTopic().toString().equals(marker)) {
                markers.add(marker);
            } else if (p.isRetain()) {
                seen.put(p.getTopic().toString(), p.getMessageExpiryInterval().orElse(-1));
            }
        }).send().get(10, TimeUnit.SECONDS);
        // retained messages come right after the SUBACK, before a message published after it
        c.publishWith().topic(marker).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[1]).send().get(10, TimeUnit.SECONDS);
        Await.until(PATIENCE, () -> markers.contains(marker), () -> "the marker publish should come back");
        return seen;
    }

    /** Whether the broker still holds a session for {@code clientId} (connecting ends it). */
    private static boolean sessionPresent(String clientId) throws Exception {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(clientId).serverHost(MqttBroker.uri().getHost())
                .serverPort(MqttBroker.uri().getPort()).buildAsync();
        Mqtt5ConnAck ack = c.connectWith().cleanStart(false).sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
        c.disconnectWith().sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
        return ack.isSessionPresent();
    }

    /**
     * A bus that handled its messages and closes normally leaves no retry session and no retry record
     * (they hold nothing), and the member session's hand-over record (the group keeps its share of
     * later messages in that session, see docs/transport-mqtt.md) expires with that session.
     */
    @Test
    void aBusClosedWithNothingOutstandingLeavesNoRetrySessionAndOnlyRecordsThatExpireWithTheirSession()
            throws Exception {
        Set<Integer> handled = ConcurrentHashMap.newKeySet();
        MessageBus consumer = start(V5, "left", "one", b -> b.onEvent(Pinged.class, (e, ctx) -> handled.add(e.n())));
        MessageBus pub = start(V5, "leftpub", "p", b -> b);
        for (int i = 0; i < 3; i++) {
            pub.publish(new Pinged(i, "handled before the close")).get(30, TimeUnit.SECONDS);
        }
        Await.until(PATIENCE, () -> handled.size() == 3, () -> "the bus should handle the 3 events, got " + handled);
        consumer.close();
        pub.close();
        Map<String, Long> left = retained();
        Topics topics = new Topics(ns);
        String retryRecord = topics.member("left", ns + ":left:one:retry");
        assertFalse(left.containsKey(retryRecord), "a retry session that held nothing must leave no hand-over record;"
                + " retained: " + left);
        long expiry = MqttConfig.DEFAULT_SESSION_EXPIRY.getSeconds();
        for (Map.Entry<String, Long> e : left.entrySet()) {
            assertTrue(e.getValue() >= 0 && e.getValue() <= expiry, "every retained record a closed bus leaves must"
                    + " expire with the session it names (message expiry <= " + expiry + " s): " + e.getKey()
                    + " has " + (e.getValue() < 0 ? "none" : e.getValue() + " s") + "; retained: " + left);
        }
        assertFalse(sessionPresent(ns + ":left:one:retry"), "the retry session held nothing: closing must end it");
        assertFalse(sessionPresent(ns + ":leftpub:p:retry"), "a publisher has no retry session");
    }

    /**
     * Records an earlier version left (the main session's id under members/) can never be claimed:
     * the next instance of the service clears them instead of warning about them on every start.
     */
    @Test
    void aRecordAnEarlierVersionLeftIsClearedByTheNextInstance() throws Exception {
        Mqtt5AsyncClient c = foreign();
        Topics topics = new Topics(ns);
        String legacy = topics.member("old", ns + ":old:gone");
        c.publishWith().topic(legacy).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                .payload("closed".getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
        cleanups.add(() -> c.publishWith().topic(legacy).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(new byte[0])
                .send().join());
        assertTrue(retained().containsKey(legacy), "the seeded record should be retained");
        start(V3, "old", "now", b -> b.onEvent(Pinged.class, (e, ctx) -> { }));
        // a broker restart by another test run on this machine must not fail the look: try again
        Await.until(PATIENCE, () -> {
            try {
                return !retainedNow().containsKey(legacy);
            } catch (Exception e) {
                return false;
            }
        }, () -> "a record naming a main session of the"
                + " service (left by an earlier version; nobody can ever claim it) must be cleared");
    }
}
