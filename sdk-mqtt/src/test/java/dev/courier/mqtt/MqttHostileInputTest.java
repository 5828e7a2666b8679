package dev.courier.mqtt;

import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Foreign clients on the real Mosquitto (issue 11, MQTT items): a raw HiveMQ client, not Courier,
 * publishes what an attacker with a broker account (or a careless service in another language) could.
 * Each case first failed on the code before its fix (see /work/notes/mqtt.md).
 */
class MqttHostileInputTest {
    private static final MqttTestSupport V5 = new MqttTestSupport(MqttConfig.Version.V5);
    private static final MqttTestSupport V3 = new MqttTestSupport(MqttConfig.Version.V3_1_1);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private final List<MessageBus> buses = new CopyOnWriteArrayList<>();
    private final List<MqttTransport> raws = new CopyOnWriteArrayList<>();
    private final List<Runnable> cleanups = new CopyOnWriteArrayList<>();
    private String ns;

    @BeforeEach
    void setUp() {
        MqttBroker.uri();
        ns = "hi" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "x" + SEQ.incrementAndGet();
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
        for (MqttTransport t : raws) {
            t.close();
        }
        List<Runnable> reversed = new java.util.ArrayList<>(cleanups);
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

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        bus.start();
        return bus;
    }

    private MessageBus.Builder bus(MqttTestSupport support, String service, MqttConfig cfg) {
        MqttTransport t = cfg == null ? support.newTransport(ns) : support.newTransport(ns, cfg);
        return MessageBus.builder(service).transport(t).publishTimeout(Duration.ofSeconds(15))
                .closeTimeout(Duration.ofSeconds(10)).produces(Pinged.class);
    }

    /** A foreign MQTT 5 client, connected with a clean session. */
    private Mqtt5AsyncClient foreign5() throws Exception {
        Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(ns + "-foreign-" + UUID.randomUUID())
                .serverHost(MqttBroker.uri().getHost()).serverPort(MqttBroker.uri().getPort()).buildAsync();
        c.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
        cleanups.add(() -> c.disconnect());
        return c;
    }

    private Mqtt3AsyncClient foreign3() throws Exception {
        Mqtt3AsyncClient c = Mqtt3Client.builder().identifier(ns + "-foreign-" + UUID.randomUUID())
                .serverHost(MqttBroker.uri().getHost()).serverPort(MqttBroker.uri().getPort()).buildAsync();
        c.connectWith().cleanSession(true).send().get(10, TimeUnit.SECONDS);
        cleanups.add(() -> c.disconnect());
        return c;
    }

    private void retain(Mqtt5AsyncClient c, String topic, byte[] payload) throws Exception {
        c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(payload).send()
                .get(10, TimeUnit.SECONDS);
        cleanups.add(() -> c.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).retain(true).payload(new byte[0])
                .send().join());
    }

    private static Mqtt5UserProperties cloudEvent(String id) {
        return Mqtt5UserProperties.builder().add(Headers.ID, id).add(Headers.TYPE, "v1.kit.pinged")
                .add(Headers.SOURCE, "foreign").add(Headers.SPECVERSION, "1.0").build();
    }

    // ---- 11.4: member records -----------------------------------------------------------------------

    /**
     * A retained record naming a live member session (or the dead-letter session) must not make
     * anyone take it over: the live member keeps its messages, every event is handled once, and the
     * dead letters stay.
     */
    @Test
    void aForgedHandOverRecordHijacksNoLiveSessionAndNoDeadLetters() throws Exception {
        Map<Integer, AtomicInteger> byA = new ConcurrentHashMap<>();
        Map<Integer, AtomicInteger> byB = new ConcurrentHashMap<>();
        AtomicInteger failing = new AtomicInteger();
        MessageBus a = start(bus(V5, "victim", null).instanceId("a").onEvent(Pinged.class, (e, ctx) -> {
            if (e.n() < 0) {
                failing.incrementAndGet();
                throw new dev.courier.NonRetryableException("poison " + e.n());
            }
            byA.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet();
        }));
        start(bus(V5, "victim", null).instanceId("b").onEvent(Pinged.class,
                (e, ctx) -> byB.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        MessageBus pub = start(bus(V5, "pub", null));
        pub.publish(new Pinged(-1, "to the dead letter")).get(30, TimeUnit.SECONDS);
        Await.until(PATIENCE, () -> a.deadLetters().list(10).size() == 1 || failing.get() > 0 && !byB.isEmpty()
                || a.deadLetters().list(10).size() == 1, () -> "the poison event should be dead-lettered");
        Await.until(PATIENCE, () -> a.deadLetters().list(10).size() == 1, () -> "one dead letter expected");
        Topics topics = new Topics(ns);
        Mqtt5AsyncClient attacker = foreign5();
        String liveA = ns + ":victim:a:victim:v1.kit.pinged:1";
        retain(attacker, topics.memberRecord("victim", "v1.kit.pinged", liveA), "closed".getBytes(StandardCharsets.UTF_8));
        String deadLetters = DeadLetterStore.clientId(MqttBroker.config(MqttConfig.Version.V5, ns), "victim");
        retain(attacker, topics.member("victim", deadLetters), "closed".getBytes(StandardCharsets.UTF_8));
        retain(attacker, topics.memberRecord("victim", "v1.kit.pinged", deadLetters + ":1"),
                "closed".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 100; i++) {
            pub.publish(new Pinged(i, "after the forged records")).get(30, TimeUnit.SECONDS);
        }
        Await.until(PATIENCE, () -> countAll(byA, byB) >= 100, () -> "every event must be handled; got "
                + countAll(byA, byB));
        Await.stays(Duration.ofSeconds(3), () -> countAll(byA, byB) == 100 && byA.size() + byB.size() == 100,
                () -> "each event once: a=" + byA.size() + " b=" + byB.size());
        List<DeadLetter> dls = a.deadLetters().list(10);
        assertEquals(1, dls.size(), "the dead letter must stay: a forged record must never make anyone take over"
                + " (and acknowledge) the dead-letter session");
    }

    private static int countAll(Map<Integer, AtomicInteger> x, Map<Integer, AtomicInteger> y) {
        return x.values().stream().mapToInt(AtomicInteger::get).sum() + y.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    // ---- 11.5: retained events -------------------------------------------------------------------------

    /** A retained event published before the service subscribed is never handled (on 5 and 3.1.1). */
    @Test
    void aRetainedEventIsNotHandledWhenAServiceSubscribes() throws Exception {
        for (MqttTestSupport support : List.of(V5, V3)) {
            String service = "late" + (support == V5 ? "5" : "3");
            Mqtt5AsyncClient c = foreign5();
            Topics topics = new Topics(ns);
            String stale = UUID.randomUUID().toString();
            byte[] payload = support == V5 ? "{\"n\":1,\"text\":\"retained\"}".getBytes(StandardCharsets.UTF_8)
                    : StructuredJson.encode(Map.of(Headers.ID, stale, Headers.TYPE, "v1.kit.pinged", Headers.SOURCE,
                    "foreign", Headers.SPECVERSION, "1.0", Headers.DATACONTENTTYPE, "application/json"),
                    "{\"n\":1,\"text\":\"retained\"}".getBytes(StandardCharsets.UTF_8));
            var b = c.publishWith().topic(topics.message("v1.kit.pinged")).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload(payload);
            if (support == V5) {
                b.userProperties(cloudEvent(stale)).contentType("application/json");
            }
            b.send().get(10, TimeUnit.SECONDS);
            cleanups.add(() -> c.publishWith().topic(topics.message("v1.kit.pinged")).qos(MqttQos.AT_LEAST_ONCE)
                    .retain(true).payload(new byte[0]).send().join());
            Set<Integer> handled = ConcurrentHashMap.newKeySet();
            start(bus(support, service, null).onEvent(Pinged.class, (e, ctx) -> handled.add(e.n())));
            MessageBus pub = start(bus(support, "pub" + service, null));
            pub.publish(new Pinged(2, "live")).get(30, TimeUnit.SECONDS);
            Await.until(PATIENCE, () -> handled.contains(2), () -> "a live event must be handled");
            Await.stays(Duration.ofSeconds(1), () -> !handled.contains(1), () -> "a retained event published before the"
                    + " service subscribed was handled (" + support + ")");
            c.publishWith().topic(topics.message("v1.kit.pinged")).qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload(new byte[0]).send().get(10, TimeUnit.SECONDS);
        }
    }

    // ---- 11.6: a message over the size limit -------------------------------------------------------------

    /**
     * A foreign message larger than the consumer's limits is dead-lettered (trimmed, with the reason)
     * and acknowledged; the messages behind it are handled, once, and not again after a restart.
     */
    @Test
    void aMessageOverTheSizeLimitIsDeadLetteredAndBlocksNothing() throws Exception {
        MqttConfig small = MqttBroker.config(MqttConfig.Version.V5, ns).toBuilder().maxMessageSize(64 * 1024)
                .instanceId("one").build();
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        MessageBus consumer = start(bus(V5, "sized", small).onEvent(Pinged.class,
                (e, ctx) -> handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        Mqtt5AsyncClient c = foreign5();
        Topics topics = new Topics(ns);
        String poison = UUID.randomUUID().toString();
        char[] big = new char[200 * 1024];
        java.util.Arrays.fill(big, 'x');
        c.publishWith().topic(topics.message("v1.kit.pinged")).qos(MqttQos.AT_LEAST_ONCE).userProperties(cloudEvent(poison))
                .contentType("application/json").payload(("{\"n\":-1,\"text\":\"" + new String(big) + "\"}")
                        .getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 30; i++) {
            c.publishWith().topic(topics.message("v1.kit.pinged")).qos(MqttQos.AT_LEAST_ONCE)
                    .userProperties(cloudEvent(UUID.randomUUID().toString())).contentType("application/json")
                    .payload(("{\"n\":" + i + ",\"text\":\"behind\"}").getBytes(StandardCharsets.UTF_8)).send()
                    .get(10, TimeUnit.SECONDS);
        }
        Await.until(PATIENCE, () -> handled.keySet().containsAll(java.util.stream.IntStream.range(0, 30).boxed().toList()),
                () -> "the 30 messages behind the oversized one must be handled, got " + handled.size());
        assertTrue(!handled.containsKey(-1), "the oversized message must not reach the handler (it breaks the limits)");
        Await.until(PATIENCE, () -> consumer.deadLetters().list(10).size() == 1, () -> "the oversized message must be"
                + " dead-lettered");
        DeadLetter dl = consumer.deadLetters().list(10).get(0);
        assertEquals(poison, dl.messageId());
        assertTrue(dl.body().length < 64 * 1024, "the dead letter is fitted to the limits, was " + dl.body().length);
        consumer.close();
        start(bus(V5, "sized", small).onEvent(Pinged.class,
                (e, ctx) -> handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet()));
        Await.stays(Duration.ofSeconds(3), () -> handled.values().stream().allMatch(n -> n.get() == 1),
                () -> "messages behind the oversized one were handled again after a restart: they were never acknowledged");
    }

    // ---- 11.7 / 12.6: 3.1.1 structured mode with a string data -----------------------------------------------

    @Test
    void aStructuredEventWhoseDataIsAStringArrivesWhole() throws Exception {
        MqttTransport t = V3.newTransport(ns);
        t.start(new TransportContext("raw", "r1", Duration.ofSeconds(10)));
        raws.add(t);
        CompletableFuture<Delivery> got = new CompletableFuture<>();
        t.subscribe(Address.event("v1.kit.text"), "texts", 4, d -> {
            got.complete(d);
            d.ack();
        });
        Mqtt3AsyncClient c = foreign3();
        String json = "{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"type\":\"v1.kit.text\","
                + "\"source\":\"node\",\"datacontenttype\":\"application/json\",\"data\":\"hello world\"}";
        c.publishWith().topic(new Topics(ns).message("v1.kit.text")).qos(MqttQos.AT_LEAST_ONCE)
                .payload(json.getBytes(StandardCharsets.UTF_8)).send().get(10, TimeUnit.SECONDS);
        Delivery d = got.get(30, TimeUnit.SECONDS);
        assertEquals("\"hello world\"", new String(d.body(), StandardCharsets.UTF_8),
                "a structured event's string data must arrive whole");
    }
}
