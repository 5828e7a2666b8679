package dev.courier.bench.amqp;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Probe;
import dev.courier.bench.Scenario;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.mqtt.MqttConfig;
import dev.courier.mqtt.MqttTransport;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * How cost grows with the payload: 1 KiB, 16 KiB, 256 KiB and 1 MiB messages publish→handler on
 * memory:, RabbitMQ and (Courier only) MQTT; on RabbitMQ next to the raw amqp-client baseline
 * (RawAmqp: same JSON, same headers, confirms, manual acks) with the same window and prefetch. The
 * payload is the benchmarks' BenchPayload with its note padded to the size. Per step: msg/s, MB/s
 * (payload bytes, 10^6), latency p50/p99, and the heap's peak above the step's starting point.
 * The confirm window and prefetch shrink with the size (16 MiB / size, 16 to 1,000) so that what
 * is in flight stays bounded the same way for Courier and the raw client.
 */
public final class MessageSize implements Scenario {

    @Override
    public String name() {
        return "message-size";
    }

    @Override
    public String description() {
        return "1 KiB..1 MiB payloads on memory:, amqp (vs raw amqp-client) and mqtt: msg/s, MB/s, heap peak;"
                + " --sizes 1k,16k,256k,1m --transports memory,amqp,mqtt --volume 64m --max-messages 20000";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        long[] sizes = Probe.steps(o.get("sizes", "1k,16k,256k,1m"), true);
        String[] transports = o.get("transports", "memory,amqp,mqtt").split(",");
        long volume = Probe.steps(o.get("volume", "64m"), true)[0];
        int maxMessages = o.getInt("max-messages", 20_000);
        int minMessages = o.getInt("min-messages", 50);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String t : transports) {
            String transport = t.trim();
            courier(o, transport, 1024, 1_000); // warm-up
            if (transport.equals("amqp")) {
                raw(o, 1024, 1_000);
            }
            int i = 0;
            for (long size : sizes) {
                int messages = (int) Math.max(minMessages, Math.min(maxMessages, volume / size));
                Map<String, Object> sdk;
                Map<String, Object> raw = null;
                // alternate which goes first, so that a broker or machine slowing down does not favour one
                if (transport.equals("amqp") && i++ % 2 == 1) {
                    raw = raw(o, (int) size, messages);
                    sdk = courier(o, transport, (int) size, messages);
                } else {
                    sdk = courier(o, transport, (int) size, messages);
                    if (transport.equals("amqp")) {
                        raw = raw(o, (int) size, messages);
                    }
                }
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("scenario", name());
                row.put("transport", transport);
                row.put("size", label(size));
                row.put("messages", messages);
                row.put("payload_bytes", sdk.get("payload_bytes"));
                row.put("sdk_msgs_per_s", sdk.get("msgs_per_s"));
                row.put("sdk_mb_per_s", sdk.get("mb_per_s"));
                row.put("baseline_msgs_per_s", raw == null ? null : raw.get("msgs_per_s"));
                row.put("baseline_mb_per_s", raw == null ? null : raw.get("mb_per_s"));
                row.put("ratio", raw == null ? null : (Double) sdk.get("msgs_per_s") / (Double) raw.get("msgs_per_s"));
                row.put("sdk_p50_us", sdk.get("p50_us"));
                row.put("sdk_p99_us", sdk.get("p99_us"));
                row.put("baseline_p50_us", raw == null ? null : raw.get("p50_us"));
                row.put("baseline_p99_us", raw == null ? null : raw.get("p99_us"));
                row.put("sdk_heap_peak_mib", sdk.get("heap_peak_mib"));
                row.put("baseline_heap_peak_mib", raw == null ? null : raw.get("heap_peak_mib"));
                row.put("lost", (Long) sdk.get("lost") + (raw == null ? 0L : (Long) raw.get("lost")));
                row.put("duplicates_handled", sdk.get("duplicates"));
                row.put("window", window((int) size));
                System.err.println(dev.courier.bench.Json.line(row));
                rows.add(row);
            }
        }
        Probe.table(rows, "transport", "size", "messages", "sdk_msgs_per_s", "sdk_mb_per_s", "baseline_msgs_per_s",
                "ratio", "sdk_p50_us", "sdk_p99_us", "sdk_heap_peak_mib", "baseline_heap_peak_mib", "lost");
        return rows;
    }

    private static String label(long size) {
        return size >= 1 << 20 && size % (1 << 20) == 0 ? size / (1 << 20) + "MiB"
                : size >= 1024 && size % 1024 == 0 ? size / 1024 + "KiB" : size + "B";
    }

    /** In-flight messages for confirms and prefetch: 16 MiB worth, between 16 and 1,000. */
    static int window(int size) {
        return (int) Math.max(16, Math.min(1_000, (16L << 20) / size));
    }

    /** A BenchPayload whose JSON is about {@code size} bytes. */
    static BenchPayload payload(long seq, String note) {
        BenchPayload p = BenchPayload.of(seq);
        return new BenchPayload(seq, System.nanoTime(), p.customerId(), p.sku(), p.quantity(), note);
    }

    static String note(int size) {
        int base = encodedLength("");
        return "x".repeat(Math.max(0, size - base));
    }

    private static int encodedLength(String note) {
        try {
            return JsonPayloadCodec.defaultMapper().writeValueAsBytes(payload(0, note)).length;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    interface Send {
        CompletableFuture<?> send(BenchPayload p) throws Exception;
    }

    /** Publishes {@code messages} payloads through {@code send}, waits for the confirms and for the tally; one result map. */
    private static Map<String, Object> pass(int size, int messages, Tally tally, Send send, long heap0) throws Exception {
        String note = note(size);
        int bytes = encodedLength(note);
        long t0;
        long peakHeap;
        try (Probe.Peak peak = new Probe.Peak()) {
            t0 = System.nanoTime();
            List<CompletableFuture<?>> confirms = new ArrayList<>(messages);
            for (int i = 0; i < messages; i++) {
                confirms.add(send.send(payload(i, note)));
            }
            CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(300, TimeUnit.SECONDS);
            try {
                tally.all().get(300, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                // lost is reported
            }
            peakHeap = peak.heap();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("payload_bytes", bytes);
        r.put("msgs_per_s", messages / secs);
        r.put("mb_per_s", messages * (double) bytes / secs / 1e6);
        r.put("p50_us", tally.stats().percentileMicros(50));
        r.put("p99_us", tally.stats().percentileMicros(99));
        r.put("heap_peak_mib", Math.max(0, peakHeap - heap0) / 1048576.0);
        r.put("lost", tally.lost());
        r.put("duplicates", tally.duplicates());
        return r;
    }

    private static Map<String, Object> courier(Options o, String transport, int size, int messages) throws Exception {
        String ns = AmqpBench.namespace("size" + size);
        int window = window(size);
        Tally tally = new Tally(messages);
        long heap0 = Probe.heapAfterGc();
        MessageBus sink = on(MessageBus.builder("size-sink"), o, transport, ns, window)
                .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                .retryPolicy(RetryPolicy.none()).prefetch(window)
                .onEvent(BenchPayload.class, (p, ctx) -> tally.record(p)).build().start();
        MessageBus pub = on(MessageBus.builder("size-pub"), o, transport, ns, window)
                .publishTimeout(Duration.ofSeconds(120)).produces(BenchPayload.class).build().start();
        try {
            return pass(size, messages, tally, pub::publish, heap0);
        } finally {
            pub.close();
            sink.close();
            if (transport.equals("amqp")) {
                Rabbitctl.cleanUp(o, ns + ".", List.of(ns + ".courier.events", ns + ".courier.commands",
                        ns + ".size-sink." + AmqpBench.ROUTING_KEY, ns + ".courier.dead-letter.size-sink",
                        ns + ".courier.dead-letter.size-pub"));
            }
        }
    }

    private static MessageBus.Builder on(MessageBus.Builder b, Options o, String transport, String ns, int window) {
        return transport.equals("memory") ? b.transport("memory:" + ns.replace(".", "")) : b.transport(transport(o, transport, ns, window));
    }

    private static Transport transport(Options o, String transport, String ns, int window) {
        switch (transport) {
            case "amqp":
                return AmqpBench.transport(o, ns, window);
            case "mqtt":
                String uri = o.get("mqtt-uri", System.getenv().getOrDefault("COURIER_MQTT_URI", "mqtt://127.0.0.1:1883"));
                String prefix = ns.replace('.', '-');
                return MqttTransport.of(MqttConfig.fromUri(uri).toBuilder().topicPrefix(prefix).clientIdPrefix(prefix)
                        .sessionExpiry(Duration.ofSeconds(60)).maxInFlight(window).build());
            default:
                throw new IllegalArgumentException("--transports takes memory, amqp, mqtt; got " + transport);
        }
    }

    private static Map<String, Object> raw(Options o, int size, int messages) throws Exception {
        String ns = AmqpBench.namespace("rawsize" + size);
        int window = window(size);
        Tally tally = new Tally(messages);
        long heap0 = Probe.heapAfterGc();
        RawAmqp raw = new RawAmqp(o, ns, window, window);
        try {
            raw.consume(tally::record);
            // the raw client tracks its confirm window itself: the last publish returns the future of them all
            int[] sent = {0};
            return pass(size, messages, tally, p -> {
                raw.publish(p);
                return ++sent[0] == messages ? raw.confirmed(messages) : CompletableFuture.completedFuture(null);
            }, heap0);
        } finally {
            raw.close();
            AmqpBench.delete(o, raw.names());
        }
    }
}
