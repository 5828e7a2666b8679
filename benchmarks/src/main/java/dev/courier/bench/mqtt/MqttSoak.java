package dev.courier.bench.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * MQTT 5 soak that survives broker restarts (restart Mosquitto from outside while it runs, or pass
 * {@code --restart-at 20s} to have the local Mosquitto stopped with SIGTERM and started again). A publish
 * whose future failed is published again (same payload, new id) until confirmed. Same fields as
 * amqp-soak; lost = confirmed but never handled, and must be 0.
 *
 * <p>Telling a broker drop from a Courier loss: Mosquitto counts the messages it drops from client
 * queues ({@code max_queued_messages}/{@code max_queued_bytes}) in {@code $SYS/broker/publish/messages/dropped};
 * the soak watches it across broker lifetimes and reports {@code broker_dropped}. {@code courier_lost} is
 * what is lost beyond that.
 */
public final class MqttSoak implements Scenario {

    @Override
    public String name() {
        return "mqtt-soak";
    }

    @Override
    public String description() {
        return "MQTT 5 soak across broker restarts; --messages N | --duration 10m, --rate R, --drain 120s,"
                + " --restart-at 20s (local Mosquitto); reports lost (must be 0) and broker_dropped vs courier_lost";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        Duration duration = o.has("duration") ? o.getDuration("duration", Duration.ofMinutes(1)) : null;
        int messages = duration != null ? Integer.MAX_VALUE : o.getInt("messages", 100_000);
        double rate = o.getLong("rate", 2_000);
        Duration drain = o.getDuration("drain", Duration.ofSeconds(120));
        Duration restartAt = o.has("restart-at") ? o.getDuration("restart-at", Duration.ofSeconds(20)) : null;
        int capacity = duration != null ? (int) Math.min(50_000_000, (long) (rate * duration.toSeconds() * 1.1) + 1000) : messages;
        String ns = MqttBench.namespace("soak");
        BitSet confirmed = new BitSet();
        BitSet handled = new BitSet();
        AtomicLong sent = new AtomicLong();
        AtomicLong confirmedCount = new AtomicLong();
        AtomicLong handledCalls = new AtomicLong();
        AtomicLong suppressed = new AtomicLong();
        AtomicLong failedPublishes = new AtomicLong();
        AtomicLong restarts = new AtomicLong();
        Stats latency = new Stats();
        DropCounter drops = new DropCounter(MqttBench.uri(o), ns + "-sys");
        MessageBus sink = MessageBus.builder("bench-sink").instanceId("b1").transport(MqttBench.transport(o, ns))
                .deduplicationStore(InMemoryDeduplicationStore.of(Math.min(capacity + 1000, 1 << 27), Duration.ofHours(24)))
                .retryPolicy(RetryPolicy.none()).concurrency(4).prefetch(1000)
                .listener(new BusListener() {
                    @Override
                    public void duplicate(Envelope envelope) {
                        suppressed.incrementAndGet();
                    }
                })
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    latency.add(System.nanoTime() - p.sentNanos());
                    handledCalls.incrementAndGet();
                    synchronized (handled) {
                        handled.set((int) p.seq());
                    }
                }).build().start();
        MessageBus pub = MqttBench.publisher(o, ns);
        ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService side = Executors.newScheduledThreadPool(2);
        long t0 = System.nanoTime();
        side.scheduleAtFixedRate(() -> System.err.printf("soak %4ds: sent %d confirmed %d handled %d failed-publishes %d"
                        + " suppressed %d broker-dropped %d connected %s%n", (System.nanoTime() - t0) / 1_000_000_000L,
                sent.get(), confirmedCount.get(), handledCalls.get(), failedPublishes.get(), suppressed.get(), drops.total(),
                sink.health().isHealthy() && pub.health().isHealthy()), 5, 5, TimeUnit.SECONDS);
        if (restartAt != null) {
            side.schedule(() -> {
                try {
                    restartLocalMosquitto();
                    restarts.incrementAndGet();
                } catch (Exception e) {
                    System.err.println("soak: could not restart the local Mosquitto: " + e);
                }
            }, restartAt.toMillis(), TimeUnit.MILLISECONDS);
        }
        Semaphore inFlight = new Semaphore(2_000);
        int n = 0;
        try {
            long end = duration == null ? Long.MAX_VALUE : t0 + duration.toNanos();
            for (; n < messages && System.nanoTime() < end; n++) {
                long due = t0 + (long) (n * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait); // pacing the publisher
                }
                inFlight.acquire();
                publish(pub, n, sent, confirmed, confirmedCount, failedPublishes, inFlight, retry);
            }
            inFlight.acquire(2_000);
            inFlight.release(2_000);
            long drainEnd = System.nanoTime() + drain.toNanos();
            while (System.nanoTime() < drainEnd && lost(confirmed, handled) > 0) {
                Thread.sleep(200); // polling the counters; the bench has no other signal
            }
        } finally {
            side.shutdownNow();
            retry.shutdownNow();
            pub.close();
            sink.close();
            drops.close();
            MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub"));
        }
        long lost = lost(confirmed, handled);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("seconds", (System.nanoTime() - t0) / 1e9);
        row.put("sent", sent.get());
        row.put("confirmed", confirmedCount.get());
        row.put("handled_unique", handled.cardinality());
        row.put("lost", lost);
        row.put("broker_dropped", drops.total());
        row.put("courier_lost", Math.max(0, lost - drops.total()));
        row.put("broker_restarts", restarts.get());
        row.put("duplicates_suppressed", suppressed.get());
        row.put("duplicates_handled", handledCalls.get() - handled.cardinality());
        row.put("failed_publishes_retried", failedPublishes.get());
        row.put("sdk_p50_us", latency.percentileMicros(50));
        row.put("sdk_p99_us", latency.percentileMicros(99));
        row.put("sdk_p999_us", latency.percentileMicros(99.9));
        return List.of(row);
    }

    private static long lost(BitSet confirmed, BitSet handled) {
        BitSet missing;
        synchronized (confirmed) {
            missing = (BitSet) confirmed.clone();
        }
        synchronized (handled) {
            missing.andNot(handled);
        }
        return missing.cardinality();
    }

    private static void publish(MessageBus pub, int seq, AtomicLong sent, BitSet confirmed, AtomicLong confirmedCount,
                                AtomicLong failed, Semaphore inFlight, ScheduledExecutorService retry) {
        sent.incrementAndGet();
        pub.publish(BenchPayload.of(seq)).whenComplete((x, e) -> {
            if (e == null) {
                synchronized (confirmed) {
                    if (!confirmed.get(seq)) {
                        confirmed.set(seq);
                        confirmedCount.incrementAndGet();
                    }
                }
                inFlight.release();
            } else {
                failed.incrementAndGet();
                retry.schedule(() -> publish(pub, seq, sent, confirmed, confirmedCount, failed, inFlight, retry),
                        200, TimeUnit.MILLISECONDS);
            }
        });
    }

    static void restartLocalMosquitto() throws Exception {
        Path pidFile = Path.of("/run/mosquitto/mosquitto.pid");
        String pid = Files.readString(pidFile).trim();
        new ProcessBuilder("kill", "-TERM", pid).inheritIO().start().waitFor();
        while (Files.exists(Path.of("/proc/" + pid))) {
            Thread.sleep(20); // waiting for the process to exit
        }
        System.err.println("soak: mosquitto stopped (SIGTERM); starting it again");
        new ProcessBuilder("mosquitto", "-d", "-c", "/etc/mosquitto/mosquitto.conf").inheritIO().start().waitFor();
    }

    /** Mosquitto's own count of messages dropped from client queues, summed over broker restarts. */
    static final class DropCounter implements AutoCloseable {
        private final Mqtt5AsyncClient client;
        private long finished;
        private long current;

        DropCounter(URI uri, String clientId) throws Exception {
            client = Mqtt5Client.builder().identifier(clientId).serverHost(uri.getHost()).serverPort(MqttBench.port(uri))
                    .automaticReconnectWithDefaultConfig().buildAsync();
            client.publishes(MqttGlobalPublishFilter.ALL, p -> update(Long.parseLong(
                    new String(p.getPayloadAsBytes(), StandardCharsets.UTF_8).trim())));
            client.connectWith().cleanStart(false).sessionExpiryInterval(600).send().get(10, TimeUnit.SECONDS);
            client.subscribeWith().topicFilter("$SYS/broker/publish/messages/dropped").send().get(10, TimeUnit.SECONDS);
        }

        private synchronized void update(long v) {
            if (v < current) {
                finished += current; // the broker restarted and its counter began again
            }
            current = v;
        }

        synchronized long total() {
            return finished + current;
        }

        @Override
        public void close() {
            try {
                client.disconnectWith().sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("soak: $SYS watcher did not disconnect cleanly: " + e);
            }
        }
    }
}
