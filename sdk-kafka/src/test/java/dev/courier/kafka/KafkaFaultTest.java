package dev.courier.kafka;

import dev.courier.kit.ChildJvm;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults on a real broker: a consumer killed mid-handler (a child JVM, SIGKILL), a second group member
 * joining while messages flow, and a broker restart (a broker of this test's own on port 19092, started and
 * stopped by the pid .ci/kafka.sh started). Each counts what was lost (must be 0) and duplicated (reported).
 */
class KafkaFaultTest {
    private static final String EVENT = "v1.fault.tick";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private final List<Transport> open = new ArrayList<>();
    private final List<String> namespaces = new ArrayList<>();

    @BeforeAll
    static void broker() {
        KafkaBroker.bootstrap();
    }

    @AfterEach
    void cleanUp() {
        open.forEach(Transport::close);
        namespaces.forEach(KafkaBroker::deleteNamespace);
    }

    private String namespace() {
        String ns = "kf" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        namespaces.add(ns);
        return ns;
    }

    private Transport transport(String bootstrap, String ns, String instance) {
        Transport t = KafkaTransport.of(KafkaConfig.builder(bootstrap).prefix(ns).partitions(2).build());
        t.start(new TransportContext("fault", instance, Duration.ofSeconds(30)));
        open.add(t);
        return t;
    }

    private static CompletableFuture<Void> publish(Transport t, String id, int n) {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, id);
        h.put(Headers.TYPE, EVENT);
        h.put(Headers.SOURCE, "fault");
        h.put(Headers.SPECVERSION, "1.0");
        h.put(Headers.DATACONTENTTYPE, "application/json");
        return t.publish(Address.event(EVENT), h, ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8));
    }

    private static void await(BooleanSupplier done, String what) {
        dev.courier.kit.Await.until(PATIENCE, done, () -> what);
    }

    @Test
    void aConsumerKilledMidHandlerLeavesItsRecordsToTheGroupsNextMember() throws Exception {
        String ns = namespace();
        Transport pub = transport(KafkaBroker.bootstrap(), ns, "pub");
        ChildJvm child = ChildJvm.start(ChildConsumer.class, List.of(KafkaBroker.bootstrap(), ns, EVENT, "victims"));
        try {
            await(() -> child.stdout().stream().anyMatch(l -> l.text().equals("subscribed")), "the child did not subscribe: "
                    + child.stderr());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = UUID.randomUUID().toString();
                ids.add(id);
                publish(pub, id, i).get(30, TimeUnit.SECONDS);
            }
            await(() -> child.stdout().stream().filter(l -> l.text().startsWith("got ")).count() >= 20,
                    "the child should take all 20 records into its (never finishing) handler: " + child.stdout());
            child.kill();
            assertTrue(child.waitFor(Duration.ofSeconds(30)), "the child should die");
            Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
            Set<Boolean> flags = ConcurrentHashMap.newKeySet();
            Transport next = transport(KafkaBroker.bootstrap(), ns, "next");
            next.subscribe(Address.event(EVENT), "victims", 100, d -> {
                seen.computeIfAbsent(d.headers().get(Headers.ID), k -> new AtomicInteger()).incrementAndGet();
                flags.add(d.redelivered());
                d.ack();
            });
            await(() -> seen.keySet().containsAll(ids), "the records the killed member held unsettled must reach the"
                    + " group's next member (after the broker's session timeout); missing "
                    + ids.stream().filter(id -> !seen.containsKey(id)).count());
            System.out.println("kafka fault: consumer killed mid-handler: 20 unsettled records came to the next member,"
                    + " lost 0, flagged redelivered " + flags);
        } finally {
            child.kill();
        }
    }

    @Test
    void aMemberJoiningWhileMessagesFlowLosesNothing() throws Exception {
        String ns = namespace();
        Transport pub = transport(KafkaBroker.bootstrap(), ns, "pub");
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        AtomicInteger byFirst = new AtomicInteger();
        AtomicInteger bySecond = new AtomicInteger();
        transport(KafkaBroker.bootstrap(), ns, "first").subscribe(Address.event(EVENT), "flow", 50, d -> {
            byFirst.incrementAndGet();
            count(handled, d);
        });
        int total = 3000;
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<Void>> confirms = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            String id = UUID.randomUUID().toString();
            ids.add(id);
            confirms.add(publish(pub, id, i));
            if (i == total / 3) {
                await(() -> handled.size() >= total / 6, "the first member should be handling messages");
                // the second member joins mid-stream: the group rebalances while records are open
                transport(KafkaBroker.bootstrap(), ns, "second").subscribe(Address.event(EVENT), "flow", 50, d -> {
                    bySecond.incrementAndGet();
                    count(handled, d);
                });
            }
        }
        CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        await(() -> handled.keySet().containsAll(ids), "every confirmed message must be handled across the rebalance;"
                + " missing " + ids.stream().filter(id -> !handled.containsKey(id)).count());
        long duplicates = handled.values().stream().mapToInt(AtomicInteger::get).filter(c -> c > 1).count();
        System.out.println("kafka fault: rebalance mid-stream: " + total + " confirmed, lost 0, duplicates " + duplicates
                + ", first member " + byFirst + ", second member " + bySecond);
        assertTrue(bySecond.get() > 0, "the member that joined should take a share");
    }

    @Test
    void aBrokerRestartLosesNoConfirmedMessage() throws Exception {
        int port = 19092;
        KafkaBroker.run("start", port);
        try {
            String bootstrap = "127.0.0.1:" + port;
            String ns = namespace();
            Transport pub = transport(bootstrap, ns, "pub");
            Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
            transport(bootstrap, ns, "sub").subscribe(Address.event(EVENT), "restart", 100, d -> count(handled, d));
            List<String> confirmed = java.util.Collections.synchronizedList(new ArrayList<>());
            AtomicInteger failed = new AtomicInteger();
            List<CompletableFuture<Void>> all = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                String id = UUID.randomUUID().toString();
                all.add(publish(pub, id, i).whenComplete((x, e) -> {
                    if (e == null) {
                        confirmed.add(id);
                    } else {
                        failed.incrementAndGet();
                    }
                }));
                if (i == 100) {
                    KafkaBroker.run("stop", port);
                    KafkaBroker.run("start", port);
                }
            }
            try {
                CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // counted per publish above
            }
            await(() -> handled.keySet().containsAll(List.copyOf(confirmed)), "every confirmed publish must be handled"
                    + " after the broker restart; missing " + confirmed.stream().filter(id -> !handled.containsKey(id)).count());
            long duplicates = handled.values().stream().mapToInt(AtomicInteger::get).filter(c -> c > 1).count();
            System.out.printf("kafka fault: broker restart (SIGTERM by pid, start): %d confirmed, %d failed publishes,"
                    + " lost 0, duplicates %d, %.1f s%n", confirmed.size(), failed.get(), duplicates,
                    (System.nanoTime() - t0) / 1e9);
            assertEquals(200, confirmed.size() + failed.get());
        } finally {
            open.forEach(Transport::close);
            open.clear();
            KafkaBroker.run("stop", port);
        }
    }

    private static void count(Map<String, AtomicInteger> handled, Delivery d) {
        handled.computeIfAbsent(d.headers().get(Headers.ID), k -> new AtomicInteger()).incrementAndGet();
        d.ack();
    }
}
