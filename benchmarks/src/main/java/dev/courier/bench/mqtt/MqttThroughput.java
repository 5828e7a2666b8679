package dev.courier.bench.mqtt;

import dev.courier.MessageBus;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;

import dev.courier.mqtt.MqttTransport;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;

/**
 * QoS 1 end-to-end throughput over MQTT 5 (publish → broker → shared-group consumer → handler), Courier vs
 * the raw HiveMQ client doing the same JSON and user properties, in the same process and run.
 */
public final class MqttThroughput implements Scenario {

    @Override
    public String name() {
        return "mqtt-throughput";
    }

    @Override
    public String description() {
        return "MQTT 5 QoS 1 end-to-end msgs/s, Courier vs raw HiveMQ client (same JSON + user properties); --messages N, --uri";
    }

    /** One side of a round: its own clients on its own topic and client ids, its received counter. */
    private interface Side extends AutoCloseable {
        MqttBench.Publisher publisher();

        AtomicLong received();
    }

    private static Side raw(Options o, String ns, AtomicReference<Stats> lat) throws Exception {
        AtomicLong got = new AtomicLong();
        MqttBench.Raw r = new MqttBench.Raw(o, ns, p -> {
            lat.get().add(System.nanoTime() - p.sentNanos());
            got.incrementAndGet();
        });
        return new Side() {
            public MqttBench.Publisher publisher() {
                return r::publish;
            }

            public AtomicLong received() {
                return got;
            }

            public void close() throws Exception {
                r.close();
                MqttBench.cleanUp(o, ns, List.of("raw"));
            }
        };
    }

    private static Side courier(Options o, String ns, AtomicReference<Stats> lat) {
        AtomicLong got = new AtomicLong();
        // a short session expiry: the member sessions a closed bus hands over to its group end a few
        // seconds after the round, instead of piling up on the broker (and in its autosaves) round by round
        Duration expiry = Duration.ofSeconds(5);
        MessageBus sink = MqttBench.sink(o, MqttTransport.of(MqttBench.config(o, ns, expiry)), got, lat::get);
        MessageBus pub = MqttBench.publisher(o, MqttTransport.of(MqttBench.config(o, ns, expiry)));
        return new Side() {
            public MqttBench.Publisher publisher() {
                return pub::publish;
            }

            public AtomicLong received() {
                return got;
            }

            public void close() {
                pub.close();
                sink.close();
                MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub"));
            }
        };
    }

    /**
     * Every round, each side in turn (raw first in odd rounds, Courier first in even ones): new clients on a
     * new topic with new client ids (no session state from an earlier round), a warm-up pass on them, a
     * collection (no garbage of the other side left to collect), then the measured pass, timed from the
     * first publish to the last arrival, with the CPU the JVM and the broker spent on it.
     */
    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        int n = o.getInt("messages", 100_000);
        int warmup = o.getInt("warmup", 90_000);
        int roundWarmup = Math.min(n, o.getInt("round-warmup", 5_000));
        int rounds = o.getInt("rounds", 5);
        Duration patience = Duration.ofMinutes(5);
        String ns = MqttBench.namespace("tp");
        long brokerPid = o.getInt("broker-pid", 0) > 0 ? o.getInt("broker-pid", 0)
                : CpuMeter.listenerPid(MqttBench.port(MqttBench.uri(o)));
        CpuMeter meter = new CpuMeter(brokerPid);
        Stats rawLat = new Stats();
        Stats sdkLat = new Stats();
        double[] rawRates = new double[rounds];
        double[] sdkRates = new double[rounds];
        CpuMeter.Cost[] rawCost = new CpuMeter.Cost[rounds];
        CpuMeter.Cost[] sdkCost = new CpuMeter.Cost[rounds];
        long lost = 0;
        long rawLost = 0;
        long duplicates = 0;
        // JIT warm-up of both code paths, alternating, on clients of their own (the C2 compilations of one side
        // must not land in the other side's measured pass)
        for (int w = 0; w < 3 && warmup > 0; w++) {
            for (boolean rawSide : new boolean[] {true, false}) {
                String wns = ns + "w" + w + (rawSide ? "r" : "c");
                AtomicReference<Stats> lat = new AtomicReference<>(new Stats());
                try (Side s = rawSide ? raw(o, wns, lat) : courier(o, wns, lat)) {
                    MqttBench.pass(warmup / 3, 0, s.publisher(), s.received(), null, patience);
                }
            }
        }
        for (int i = 0; i < rounds; i++) {
            for (int k = 0; k < 2; k++) {
                boolean rawSide = (i % 2 == 0) == (k == 0);
                String rns = ns + i + (rawSide ? "r" : "c");
                AtomicReference<Stats> lat = new AtomicReference<>(new Stats());
                try (Side s = rawSide ? raw(o, rns, lat) : courier(o, rns, lat)) {
                    MqttBench.pass(roundWarmup, 0, s.publisher(), s.received(), null, patience);
                    long before = s.received().get();
                    System.gc();
                    lat.set(rawSide ? rawLat : sdkLat); // the measured passes' latencies only
                    meter.start();
                    MqttBench.Pass pass = MqttBench.pass(n, 0, s.publisher(), s.received(), null, patience);
                    CpuMeter.Cost cost = meter.stop(Math.max(1, pass.received()));
                    if (rawSide) {
                        rawRates[i] = pass.msgsPerSecond();
                        rawCost[i] = cost;
                        rawLost += n - (s.received().get() - before);
                    } else {
                        sdkRates[i] = pass.msgsPerSecond();
                        sdkCost[i] = cost;
                        long d = s.received().get() - before - n;
                        if (d < 0) {
                            lost -= d;
                        } else {
                            duplicates += d;
                        }
                    }
                }
            }
            System.err.printf(java.util.Locale.ROOT, "mqtt-throughput round %d (%s first): courier %.0f msg/s, raw %.0f msg/s, ratio %.3f%n"
                    + "  courier %s%n  raw     %s%n", i + 1, i % 2 == 0 ? "raw" : "courier", sdkRates[i], rawRates[i],
                    sdkRates[i] / rawRates[i], sdkCost[i].describe(), rawCost[i].describe());
        }
        double[] ratios = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            ratios[i] = sdkRates[i] / rawRates[i];
        }
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", "mqtt5");
        row.put("messages", n);
        row.put("payload_bytes", MqttBench.JSON.writeValueAsBytes(dev.courier.bench.memory.BenchPayload.of(0)).length);
        row.put("rounds", rounds);
        row.put("sdk_msgs_per_s", MqttBench.median(sdkRates));
        row.put("sdk_msgs_per_s_min", min(sdkRates));
        row.put("sdk_msgs_per_s_max", max(sdkRates));
        row.put("baseline_msgs_per_s", MqttBench.median(rawRates));
        row.put("baseline_msgs_per_s_min", min(rawRates));
        row.put("baseline_msgs_per_s_max", max(rawRates));
        row.put("ratio", MqttBench.median(ratios)); // the median of the rounds' ratios, as every scenario reports it
        row.put("ratio_min", min(ratios));
        row.put("ratio_max", max(ratios));
        row.put("sdk_cpu_us_per_msg", median(sdkCost, CpuMeter.Cost::processUs));
        row.put("baseline_cpu_us_per_msg", median(rawCost, CpuMeter.Cost::processUs));
        row.put("sdk_broker_cpu_us_per_msg", median(sdkCost, CpuMeter.Cost::brokerUs));
        row.put("baseline_broker_cpu_us_per_msg", median(rawCost, CpuMeter.Cost::brokerUs));
        row.put("sdk_alloc_bytes_per_msg", median(sdkCost, CpuMeter.Cost::allocBytes));
        row.put("baseline_alloc_bytes_per_msg", median(rawCost, CpuMeter.Cost::allocBytes));
        row.put("cpu_ratio", median(sdkCost, CpuMeter.Cost::processUs) / median(rawCost, CpuMeter.Cost::processUs));
        row.put("sdk_p50_us", sdkLat.percentileMicros(50));
        row.put("sdk_p99_us", sdkLat.percentileMicros(99));
        row.put("baseline_p50_us", rawLat.percentileMicros(50));
        row.put("baseline_p99_us", rawLat.percentileMicros(99));
        row.put("lost", lost);
        row.put("baseline_lost", rawLost);
        row.put("duplicates_handled", duplicates);
        return List.of(row);
    }

    private static double min(double[] xs) {
        return Arrays.stream(xs).min().orElse(Double.NaN);
    }

    private static double max(double[] xs) {
        return Arrays.stream(xs).max().orElse(Double.NaN);
    }

    private static double median(CpuMeter.Cost[] costs, ToDoubleFunction<CpuMeter.Cost> f) {
        return MqttBench.median(Arrays.stream(costs).mapToDouble(f).toArray());
    }
}
