package dev.courier.mqtt;

import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The long soak, only with {@code mvn -pl sdk-mqtt verify -Psoak}: 100,000 events (or
 * {@code -Dcourier.soak.messages=N}) through two Mosquitto restarts (SIGTERM); every acknowledged publish
 * is handled once. The soak in the benchmarks jar (mqtt-soak) also separates broker drops from Courier losses.
 */
@Tag("soak")
class MqttSoakTest {
    private static final MqttTestSupport SUPPORT = new MqttTestSupport(MqttConfig.Version.V5);
    private final List<MessageBus> buses = new ArrayList<>();
    private final String ns = "cs" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

    @AfterEach
    void tearDown() throws Exception {
        try {
            MqttBroker.start();
        } finally {
            buses.forEach(MessageBus::close);
            SUPPORT.deleteNamespace(ns);
        }
    }

    @Test
    void everyAcknowledgedPublishIsHandledOnceThroughTwoRestarts() throws Exception {
        assumeTrue(MqttBroker.restartable(), "the soak restarts the local Mosquitto (run bash .ci/mosquitto.sh)");
        int total = Integer.getInteger("courier.soak.messages", 100_000);
        BitSet handled = new BitSet(total);
        AtomicLong calls = new AtomicLong();
        MessageBus sink = MessageBus.builder("soak").instanceId("k1").transport(SUPPORT.newTransport(ns)).concurrency(4)
                .onEvent(Pinged.class, (e, ctx) -> {
                    calls.incrementAndGet();
                    synchronized (handled) {
                        handled.set(e.n());
                    }
                }).build();
        buses.add(sink);
        sink.start();
        MessageBus pub = MessageBus.builder("soakpub").instanceId("k2").transport(SUPPORT.newTransport(ns))
                .publishTimeout(Duration.ofSeconds(60)).produces(Pinged.class).build();
        buses.add(pub);
        pub.start();
        List<CompletableFuture<Void>> confirms = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            confirms.add(pub.publish(new Pinged(i, "soak")));
            if (i == total / 3 || i == 2 * total / 3) {
                try {
                    MqttBroker.stop();
                } finally {
                    MqttBroker.start();
                }
            }
        }
        BitSet acked = new BitSet(total);
        for (int i = 0; i < total; i++) {
            try {
                confirms.get(i).get(120, TimeUnit.SECONDS);
                acked.set(i);
            } catch (Exception e) {
                // not acknowledged
            }
        }
        Await.until(Duration.ofMinutes(5), () -> {
            BitSet missing = (BitSet) acked.clone();
            synchronized (handled) {
                missing.andNot(handled);
            }
            return missing.isEmpty();
        }, () -> "acknowledged but not handled: " + missingCount(acked, handled));
        assertEquals(handled.cardinality(), calls.get(), "no message handled twice");
    }

    private static int missingCount(BitSet acked, BitSet handled) {
        BitSet m = (BitSet) acked.clone();
        synchronized (handled) {
            m.andNot(handled);
        }
        return m.cardinality();
    }
}
