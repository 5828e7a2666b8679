package dev.courier.bench.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.MessageBus;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.kafka.KafkaConfig;
import dev.courier.kafka.KafkaTransport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end throughput over Kafka (publish → broker → consumer group → handler), Courier against the raw
 * kafka-clients producer and consumer with the same semantics: acks=all, an idempotent producer, a window
 * of unacknowledged publishes, the same JSON and CloudEvents {@code ce_} headers, manual offset commits
 * after the records are handled. Same process, same run, rounds interleaved; medians reported.
 */
public final class KafkaThroughput implements Scenario {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String name() {
        return "kafka-throughput";
    }

    @Override
    public String description() {
        return "Kafka end-to-end msgs/s, Courier vs raw kafka-clients (acks=all, idempotent, manual commits, same"
                + " JSON + ce_ headers); --messages N, --bootstrap host:port, --rounds R";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        String bootstrap = o.get("bootstrap", System.getenv().getOrDefault("COURIER_KAFKA_BOOTSTRAP", "127.0.0.1:9092"));
        int n = o.getInt("messages", 100_000);
        int warmup = Math.min(n, o.getInt("warmup", 10_000));
        int rounds = o.getInt("rounds", 3);
        int partitions = o.getInt("partitions", 4);
        int window = o.getInt("inflight", 1000);
        Duration patience = Duration.ofMinutes(5);
        String ns = "benchkafka" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
        AtomicLong sdkGot = new AtomicLong();
        AtomicLong rawGot = new AtomicLong();
        Stats sdkLat = new Stats();
        Stats rawLat = new Stats();
        double[] sdkRates = new double[rounds];
        double[] rawRates = new double[rounds];
        KafkaConfig config = KafkaConfig.builder(bootstrap).prefix(ns).partitions(partitions).publishWindow(window).build();
        MessageBus sink = null;
        MessageBus pub = null;
        try (Raw raw = new Raw(bootstrap, ns + "raw", partitions, window, p -> {
            rawLat.add(System.nanoTime() - p.sentNanos());
            rawGot.incrementAndGet();
        })) {
            sink = MessageBus.builder("bench-sink").instanceId("b1").transport(KafkaTransport.of(config))
                    .concurrency(o.getInt("concurrency", 4)).prefetch(o.getInt("prefetch", 1000))
                    .onEvent(BenchPayload.class, (p, ctx) -> {
                        sdkLat.add(System.nanoTime() - p.sentNanos());
                        sdkGot.incrementAndGet();
                    }).build().start();
            pub = MessageBus.builder("bench-pub").instanceId("b1").transport(KafkaTransport.of(config))
                    .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
            MessageBus p = pub;
            pass(warmup, raw::publish, rawGot, patience);
            pass(warmup, p::publish, sdkGot, patience);
            for (int i = 0; i < rounds; i++) {
                rawRates[i] = pass(n, raw::publish, rawGot, patience);
                sdkRates[i] = pass(n, p::publish, sdkGot, patience);
                System.err.printf("kafka-throughput round %d: courier %.0f msg/s, raw %.0f msg/s%n", i + 1, sdkRates[i],
                        rawRates[i]);
            }
        } finally {
            if (pub != null) {
                pub.close();
            }
            if (sink != null) {
                sink.close();
            }
            deleteNamespace(bootstrap, ns);
        }
        double sdk = median(sdkRates);
        double base = median(rawRates);
        long expected = (long) n * rounds + warmup;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "kafka");
        row.put("messages", n);
        row.put("payload_bytes", JSON.writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("rounds", rounds);
        row.put("sdk_msgs_per_s", sdk);
        row.put("baseline_msgs_per_s", base);
        row.put("ratio", sdk / base);
        row.put("sdk_p50_us", sdkLat.percentileMicros(50));
        row.put("sdk_p99_us", sdkLat.percentileMicros(99));
        row.put("sdk_p999_us", sdkLat.percentileMicros(99.9));
        row.put("baseline_p50_us", rawLat.percentileMicros(50));
        row.put("baseline_p99_us", rawLat.percentileMicros(99));
        row.put("baseline_p999_us", rawLat.percentileMicros(99.9));
        row.put("lost", Math.max(0, expected - sdkGot.get()));
        row.put("baseline_lost", Math.max(0, expected - rawGot.get()));
        row.put("duplicates_handled", Math.max(0, sdkGot.get() - expected));
        return List.of(row);
    }

    interface Publisher {
        CompletableFuture<?> publish(BenchPayload p) throws Exception;
    }

    private static double pass(int n, Publisher publisher, AtomicLong received, Duration patience) throws Exception {
        long start = received.get();
        long t0 = System.nanoTime();
        CompletableFuture<?> last = null;
        for (int i = 0; i < n; i++) {
            last = publisher.publish(BenchPayload.of(i));
        }
        if (last != null) {
            last.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        }
        long deadline = System.nanoTime() + patience.toNanos();
        while (received.get() - start < n && System.nanoTime() < deadline) {
            Thread.sleep(1); // polling a counter; the bench has no other signal
        }
        return (received.get() - start) / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(double[] xs) {
        double[] c = xs.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    private static void deleteNamespace(String bootstrap, String ns) {
        try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            List<String> topics = a.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(ns)).toList();
            a.deleteTopics(topics).all().get(30, TimeUnit.SECONDS);
            List<String> groups = a.listGroups().all().get(10, TimeUnit.SECONDS).stream()
                    .map(g -> g.groupId()).filter(g -> g.startsWith(ns)).toList();
            a.deleteConsumerGroups(groups).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("kafka-throughput: clean-up of " + ns + " incomplete: " + e);
        }
    }

    /** The raw baseline: an idempotent acks=all producer with a window, a consumer that commits what it handled. */
    private static final class Raw implements AutoCloseable {
        private final KafkaProducer<byte[], byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread poller;
        private final Semaphore window;
        private final String topic;
        private volatile boolean running = true;

        Raw(String bootstrap, String ns, int partitions, int inflight, java.util.function.Consumer<BenchPayload> onMessage)
                throws Exception {
            topic = ns + ".event.v1.bench.measured";
            try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            window = new Semaphore(inflight);
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("acks", "all");
            p.put("enable.idempotence", "true");
            p.put("linger.ms", "1");
            p.put("key.serializer", ByteArraySerializer.class.getName());
            p.put("value.serializer", ByteArraySerializer.class.getName());
            producer = new KafkaProducer<>(p);
            Properties c = new Properties();
            c.put("bootstrap.servers", bootstrap);
            c.put("group.id", ns + ".raw-sink");
            c.put("group.protocol", "consumer");
            c.put("enable.auto.commit", "false");
            c.put("auto.offset.reset", "earliest");
            c.put("key.deserializer", ByteArrayDeserializer.class.getName());
            c.put("value.deserializer", ByteArrayDeserializer.class.getName());
            consumer = new KafkaConsumer<>(c);
            consumer.subscribe(List.of(topic));
            poller = new Thread(() -> {
                while (running) {
                    var records = consumer.poll(Duration.ofMillis(50));
                    for (ConsumerRecord<byte[], byte[]> r : records) {
                        try {
                            onMessage.accept(JSON.readValue(r.value(), BenchPayload.class));
                        } catch (java.io.IOException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    if (!records.isEmpty()) {
                        consumer.commitAsync();
                    }
                }
                consumer.close();
            }, "raw-kafka-sink");
            poller.setDaemon(true);
            poller.start();
        }

        CompletableFuture<?> publish(BenchPayload payload) throws Exception {
            window.acquire();
            String id = UUID.randomUUID().toString();
            RecordHeaders h = new RecordHeaders();
            h.add("ce_id", bytes(id));
            h.add("ce_source", bytes("bench-pub"));
            h.add("ce_type", bytes("v1.bench.measured"));
            h.add("ce_time", bytes(Instant.now().toString()));
            h.add("ce_specversion", bytes("1.0"));
            h.add("ce_correlationid", bytes(id));
            h.add("content-type", bytes("application/json"));
            CompletableFuture<Void> f = new CompletableFuture<>();
            producer.send(new ProducerRecord<>(topic, null, bytes(id), JSON.writeValueAsBytes(payload), h), (md, e) -> {
                window.release();
                if (e == null) {
                    f.complete(null);
                } else {
                    f.completeExceptionally(e);
                }
            });
            return f;
        }

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws Exception {
            producer.close(Duration.ofSeconds(10));
            running = false;
            poller.join(10_000);
        }
    }
}
