package dev.courier.bench;

import dev.courier.bench.amqp.AmqpLoad;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.bench.mqtt.MqttLoad;
import dev.courier.bench.ws.WsLoad;
import dev.courier.spi.JsonPayloadCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Latency under load: for each transport, the raw client's maximum throughput is measured in the same
 * run (or taken from {@code --max}), then Courier and the raw client each run for {@code --seconds} at
 * 25, 50 and 75 % of it ({@code --levels}) with an open-loop fixed-rate sender, latency measured from
 * each message's intended send time into an HdrHistogram (coordinated-omission corrected, see
 * {@link OpenLoop}). Courier and raw alternate phase by phase, the order flipping each time; with
 * {@code --rounds R} every figure is the median of R rounds, min and max printed next to p99 and p99.9.
 * One row per (transport, level).
 */
public final class LatencyUnderLoad implements Scenario {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Override
    public String name() {
        return "latency-under-load";
    }

    @Override
    public String description() {
        return "p50/p99/p99.9 at 25/50/75 % of the raw maximum, open-loop, from the intended send time, Courier vs raw;"
                + " --transport amqp,mqtt,ws --levels 25,50,75 --seconds 10 --rounds 1 [--max R] [--base raw|own]";
    }

    private interface Side {
        OpenLoop.Target open(OpenLoop.Receiver receiver) throws Exception;
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String transport : o.get("transport", "amqp,mqtt,ws").split(",")) {
            rows.addAll(runTransport(o, transport.trim()));
        }
        return rows;
    }

    private List<Map<String, Object>> runTransport(Options o, String transport) throws Exception {
        int[] levels = Arrays.stream(o.get("levels", "25,50,75").split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
        int seconds = o.getInt("seconds", 10);
        int rounds = o.getInt("rounds", 1);
        int maxMessages = o.getInt("max-messages", 30_000);
        boolean ownBase = o.get("base", "raw").equals("own");
        // an upper bound on what one receiver sees, for Courier's deduplication store
        int budget = 3 * maxMessages + (int) Math.min(Integer.MAX_VALUE / 2, 100_000L * seconds * rounds * levels.length);
        Side courier;
        Side raw;
        switch (transport) {
            case "amqp" -> {
                courier = r -> AmqpLoad.courier(o, r, budget);
                raw = r -> AmqpLoad.raw(o, r);
            }
            case "mqtt" -> {
                courier = r -> MqttLoad.courier(o, r);
                raw = r -> MqttLoad.raw(o, r);
            }
            case "ws" -> {
                courier = r -> WsLoad.courier(o, r, budget);
                raw = WsLoad::raw;
            }
            default -> throw new IllegalArgumentException("--transport amqp|mqtt|ws, got '" + transport + "'");
        }
        OpenLoop.Receiver sdkRx = new OpenLoop.Receiver();
        OpenLoop.Receiver rawRx = new OpenLoop.Receiver();
        long[] seq = {0};
        try (OpenLoop.Target rawT = raw.open(rawRx); OpenLoop.Target sdkT = courier.open(sdkRx)) {
            // warm-up (JIT, connections), then the maximum of each, back to back
            phase(rawT, rawRx, seq, Math.min(10_000, maxMessages), 0);
            phase(sdkT, sdkRx, seq, Math.min(10_000, maxMessages), 0);
            double rawMax = phase(rawT, rawRx, seq, maxMessages, 0).deliveredPerSecond();
            double sdkMax = phase(sdkT, sdkRx, seq, maxMessages, 0).deliveredPerSecond();
            if (o.has("max")) {
                rawMax = o.getLong("max", 0);
                sdkMax = ownBase ? rawMax : sdkMax;
            }
            System.err.printf("%s: maximum raw %.0f msg/s, courier %.0f msg/s%n", transport, rawMax, sdkMax);
            OpenLoop.Result[][] sdkRes = new OpenLoop.Result[levels.length][rounds];
            OpenLoop.Result[][] rawRes = new OpenLoop.Result[levels.length][rounds];
            int flip = 0;
            for (int round = 0; round < rounds; round++) {
                for (int l = 0; l < levels.length; l++) {
                    double rawRate = rawMax * levels[l] / 100.0;
                    double sdkRate = (ownBase ? sdkMax : rawMax) * levels[l] / 100.0;
                    int rawN = (int) Math.max(1, rawRate * seconds);
                    int sdkN = (int) Math.max(1, sdkRate * seconds);
                    if (flip++ % 2 == 0) {
                        rawRes[l][round] = phase(rawT, rawRx, seq, rawN, rawRate);
                        sdkRes[l][round] = phase(sdkT, sdkRx, seq, sdkN, sdkRate);
                    } else {
                        sdkRes[l][round] = phase(sdkT, sdkRx, seq, sdkN, sdkRate);
                        rawRes[l][round] = phase(rawT, rawRx, seq, rawN, rawRate);
                    }
                    System.err.printf("%s %d%% round %d: courier %s | raw %s%n", transport, levels[l], round + 1,
                            brief(sdkRes[l][round]), brief(rawRes[l][round]));
                }
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int l = 0; l < levels.length; l++) {
                rows.add(row(transport, levels[l], seconds, rounds, rawMax, sdkMax, ownBase, sdkRes[l], rawRes[l]));
            }
            return rows;
        }
    }

    private static OpenLoop.Result phase(OpenLoop.Target t, OpenLoop.Receiver r, long[] seq, int n, double rate)
            throws Exception {
        OpenLoop.Result res = OpenLoop.run(t, r, seq[0], n, rate, PATIENCE);
        seq[0] += n;
        return res;
    }

    private static String brief(OpenLoop.Result r) {
        return String.format(java.util.Locale.ROOT, "%.0f/s p50 %.0f p99 %.0f p99.9 %.0f max %.0f us, lost %d, sender late %.0f us",
                r.rate(), r.latency().percentileMicros(50), r.latency().percentileMicros(99),
                r.latency().percentileMicros(99.9), r.latency().maxMicros(), r.lost(), r.maxLagUs());
    }

    private Map<String, Object> row(String transport, int level, int seconds, int rounds, double rawMax, double sdkMax,
            boolean ownBase, OpenLoop.Result[] sdk, OpenLoop.Result[] raw) throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("scenario", name());
        row.put("transport", transport);
        row.put("level_pct", level);
        row.put("base", ownBase ? "own" : "raw");
        row.put("sdk_rate_per_s", sdk[0].rate());
        row.put("baseline_rate_per_s", raw[0].rate());
        row.put("raw_max_per_s", rawMax);
        row.put("sdk_max_per_s", sdkMax);
        row.put("seconds", seconds);
        row.put("rounds", rounds);
        row.put("messages", sdk[0].sent());
        row.put("payload_bytes", JsonPayloadCodec.defaultMapper().writeValueAsBytes(BenchPayload.of(0)).length);
        row.put("sdk_msgs_per_s", median(sdk, OpenLoop.Result::deliveredPerSecond));
        row.put("baseline_msgs_per_s", median(raw, OpenLoop.Result::deliveredPerSecond));
        row.put("ratio", median(sdk, OpenLoop.Result::deliveredPerSecond) / median(raw, OpenLoop.Result::deliveredPerSecond));
        for (String side : List.of("sdk", "baseline")) {
            OpenLoop.Result[] rs = side.equals("sdk") ? sdk : raw;
            row.put(side + "_p50_us", median(rs, r -> r.latency().percentileMicros(50)));
            row.put(side + "_p99_us", median(rs, r -> r.latency().percentileMicros(99)));
            row.put(side + "_p999_us", median(rs, r -> r.latency().percentileMicros(99.9)));
            row.put(side + "_max_us", median(rs, r -> r.latency().maxMicros()));
            if (rounds > 1) {
                row.put(side + "_p99_min_us", min(rs, r -> r.latency().percentileMicros(99)));
                row.put(side + "_p99_max_us", max(rs, r -> r.latency().percentileMicros(99)));
                row.put(side + "_p999_min_us", min(rs, r -> r.latency().percentileMicros(99.9)));
                row.put(side + "_p999_max_us", max(rs, r -> r.latency().percentileMicros(99.9)));
            }
        }
        row.put("p99_ratio", median(sdk, r -> r.latency().percentileMicros(99)) / median(raw, r -> r.latency().percentileMicros(99)));
        row.put("p999_ratio", median(sdk, r -> r.latency().percentileMicros(99.9)) / median(raw, r -> r.latency().percentileMicros(99.9)));
        row.put("lost", Arrays.stream(sdk).mapToLong(OpenLoop.Result::lost).sum());
        row.put("baseline_lost", Arrays.stream(raw).mapToLong(OpenLoop.Result::lost).sum());
        row.put("duplicates_handled", Arrays.stream(sdk).mapToLong(OpenLoop.Result::duplicates).sum());
        return row;
    }

    private static double[] values(OpenLoop.Result[] rs, java.util.function.ToDoubleFunction<OpenLoop.Result> f) {
        double[] v = Arrays.stream(rs).mapToDouble(f).toArray();
        Arrays.sort(v);
        return v;
    }

    private static double median(OpenLoop.Result[] rs, java.util.function.ToDoubleFunction<OpenLoop.Result> f) {
        double[] v = values(rs, f);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(OpenLoop.Result[] rs, java.util.function.ToDoubleFunction<OpenLoop.Result> f) {
        return values(rs, f)[0];
    }

    private static double max(OpenLoop.Result[] rs, java.util.function.ToDoubleFunction<OpenLoop.Result> f) {
        double[] v = values(rs, f);
        return v[v.length - 1];
    }
}
