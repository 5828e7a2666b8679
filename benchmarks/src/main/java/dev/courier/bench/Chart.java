package dev.courier.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code java -jar courier-bench.jar chart [--out DIR] [--goal 0.8] [--step FIELD] [--metric FIELD] [files]}:
 * reads the JSON lines the scenarios print (from the files, or stdin) and writes up to three SVG
 * charts into {@code --out} (default {@code .}): {@code ratios.svg} (field {@code ratio} per line as a
 * bar, {@code ratio_min}/{@code ratio_max} as whiskers, the goal as a dashed line), {@code latency.svg}
 * ({@code sdk_p50_us}, {@code sdk_p99_us}, {@code sdk_p999_us} next to the {@code baseline_} ones, per
 * line and {@code level}, log scale) and {@code growth.svg} ({@code --metric}, default
 * {@code sdk_msgs_per_s}, against a step field: {@code --step}, else the first of services,
 * requesters, payload_bytes, ids a line has; one line per scenario). A chart without data is not written.
 */
public final class Chart {
    static final String[] STEPS = {"services", "requesters", "payload_bytes", "ids"};
    private static final String[] COLORS = {"#3465a4", "#f57900", "#4e9a06", "#cc0000", "#75507b", "#c17d11"};
    private static final int W = 760;
    private static final int H = 400;
    private static final int LEFT = 120; // room for the first rotated label
    private static final int TOP = 70;
    private static final int BOTTOM = 110;

    private Chart() {
    }

    /** The {@code chart} subcommand; {@code args} are what follows the word {@code chart}. */
    public static void main(String[] args) throws IOException {
        List<String> files = new ArrayList<>();
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                opt.put(args[i].substring(2), args[++i]);
            } else {
                files.add(args[i]);
            }
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        if (files.isEmpty()) {
            rows.addAll(parse(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList()));
        }
        for (String f : files) {
            rows.addAll(parse(Files.readAllLines(Path.of(f), StandardCharsets.UTF_8)));
        }
        Path out = Path.of(opt.getOrDefault("out", "."));
        Files.createDirectories(out);
        double goal = Double.parseDouble(opt.getOrDefault("goal", "NaN"));
        write(out.resolve("ratios.svg"), ratios(rows, goal));
        write(out.resolve("latency.svg"), latency(rows));
        write(out.resolve("growth.svg"), growth(rows, opt.get("step"), opt.getOrDefault("metric", "sdk_msgs_per_s")));
    }

    private static void write(Path file, String svg) throws IOException {
        if (svg != null) {
            Files.writeString(file, svg, StandardCharsets.UTF_8);
            System.err.println("wrote " + file);
        }
    }

    /** The flat JSON objects of {@code lines} (strings, numbers, booleans, null); other lines are skipped. */
    static List<Map<String, Object>> parse(List<String> lines) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String line : lines) {
            String s = line.trim();
            if (!s.startsWith("{") || !s.endsWith("}")) {
                continue;
            }
            Map<String, Object> row = new LinkedHashMap<>();
            int i = 1;
            while (i < s.length() - 1) {
                int k0 = s.indexOf('"', i);
                if (k0 < 0) {
                    break;
                }
                int k1 = s.indexOf('"', k0 + 1);
                int v = s.indexOf(':', k1) + 1;
                int end;
                Object value;
                if (s.charAt(v) == '"') {
                    StringBuilder b = new StringBuilder();
                    end = v + 1;
                    for (; s.charAt(end) != '"'; end++) {
                        b.append(s.charAt(end) == '\\' ? s.charAt(++end) : s.charAt(end));
                    }
                    end++;
                    value = b.toString();
                } else {
                    end = v;
                    while (end < s.length() - 1 && s.charAt(end) != ',') {
                        end++;
                    }
                    String raw = s.substring(v, end).trim();
                    value = raw.equals("null") ? null : raw.equals("true") || raw.equals("false")
                            ? (Object) Boolean.valueOf(raw) : (Object) Double.valueOf(raw);
                }
                row.put(s.substring(k0 + 1, k1), value);
                i = end + 1;
            }
            rows.add(row);
        }
        return rows;
    }

    /** What tells a line apart in a legend: its scenario and the settings that vary. */
    static String label(Map<String, Object> row) {
        if (row.get("label") != null) {
            return String.valueOf(row.get("label"));
        }
        StringBuilder b = new StringBuilder(String.valueOf(row.get("scenario")));
        for (String k : new String[] {"transport", "db", "relay", "notify", "level", "level_pct"}) {
            if (row.get(k) != null) {
                b.append(' ').append(k.equals("notify") ? (Boolean.TRUE.equals(row.get(k)) ? "notify" : "poll") : fmt(row.get(k)));
                if (k.equals("level_pct")) {
                    b.append(" %");
                }
            }
        }
        return b.toString();
    }

    /** Bars of {@code ratio} with min/max whiskers and the goal (from {@code goal}, or each line's {@code goal}). */
    static String ratios(List<Map<String, Object>> rows, double goal) {
        List<Map<String, Object>> with = rows.stream().filter(r -> num(r, "ratio") != null).toList();
        if (with.isEmpty()) {
            return null;
        }
        double g = Double.isNaN(goal) && num(with.get(0), "goal") != null ? num(with.get(0), "goal") : goal;
        double max = Double.isNaN(g) ? 0 : g;
        for (Map<String, Object> r : with) {
            max = Math.max(max, num(r, "ratio_max") != null ? num(r, "ratio_max") : num(r, "ratio"));
        }
        double top = Math.ceil(max * 1.05 / step(max)) * step(max);
        Svg svg = new Svg("Courier / baseline (median of rounds, whiskers min–max)");
        svg.axis(0, top, false);
        double slot = (double) (W - LEFT - 20) / with.size();
        for (int i = 0; i < with.size(); i++) {
            Map<String, Object> r = with.get(i);
            double x = LEFT + i * slot + slot * 0.2;
            double y = svg.y(num(r, "ratio"), 0, top, false);
            svg.rect("bar", x, y, slot * 0.6, H - BOTTOM - y, COLORS[0], label(r) + ": " + fmt(num(r, "ratio")));
            if (num(r, "ratio_min") != null && num(r, "ratio_max") != null) {
                double cx = x + slot * 0.3;
                double lo = svg.y(num(r, "ratio_min"), 0, top, false);
                double hi = svg.y(num(r, "ratio_max"), 0, top, false);
                svg.line(cx, lo, cx, hi, "#000", false);
                svg.line(cx - 6, lo, cx + 6, lo, "#000", false);
                svg.line(cx - 6, hi, cx + 6, hi, "#000", false);
            }
            double over = num(r, "ratio_max") != null ? Math.min(y, svg.y(num(r, "ratio_max"), 0, top, false)) : y;
            svg.text(x + slot * 0.3, over - 4, fmt(num(r, "ratio")), "middle", 11);
            svg.xLabel(x + slot * 0.3, label(r));
        }
        if (!Double.isNaN(g)) {
            double y = svg.y(g, 0, top, false);
            svg.line(LEFT, y, W - 20, y, "#cc0000", true);
            svg.text(W - 22, y - 4, "goal " + fmt(g), "end", 11);
        }
        return svg.end();
    }

    /** Grouped bars p50/p99/p99.9, Courier next to the baseline, one group per line (log scale, µs). */
    static String latency(List<Map<String, Object>> rows) {
        String[] fields = {"sdk_p50_us", "sdk_p99_us", "sdk_p999_us", "baseline_p50_us", "baseline_p99_us", "baseline_p999_us"};
        String[] names = {"Courier p50", "Courier p99", "Courier p99.9", "raw p50", "raw p99", "raw p99.9"};
        List<Map<String, Object>> with = rows.stream().filter(r -> num(r, "sdk_p50_us") != null).toList();
        if (with.isEmpty()) {
            return null;
        }
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Map<String, Object> r : with) {
            for (String f : fields) {
                if (num(r, f) != null && num(r, f) > 0) {
                    lo = Math.min(lo, num(r, f));
                    hi = Math.max(hi, num(r, f));
                }
            }
        }
        double min = Math.pow(10, Math.floor(Math.log10(lo)));
        double max = Math.pow(10, Math.ceil(Math.log10(hi)));
        Svg svg = new Svg("Latency percentiles, µs (log scale)");
        svg.axis(min, max, true);
        double slot = (double) (W - LEFT - 20) / with.size();
        double bar = slot * 0.8 / fields.length;
        for (int i = 0; i < with.size(); i++) {
            Map<String, Object> r = with.get(i);
            for (int f = 0; f < fields.length; f++) {
                Double v = num(r, fields[f]);
                if (v == null || v <= 0) {
                    continue;
                }
                double x = LEFT + i * slot + slot * 0.1 + f * bar;
                double y = svg.y(v, min, max, true);
                String color = f < 3 ? COLORS[f % 3] : COLORS[3 + f % 3];
                svg.rect("bar", x, y, bar - 1, H - BOTTOM - y, color, label(r) + " " + names[f] + ": " + fmt(v) + " µs");
            }
            svg.xLabel(LEFT + i * slot + slot / 2, label(r));
        }
        for (int f = 0; f < names.length; f++) {
            svg.legend(f, names[f], f < 3 ? COLORS[f % 3] : COLORS[3 + f % 3]);
        }
        return svg.end();
    }

    /** One line per scenario: {@code metric} against the step field. */
    static String growth(List<Map<String, Object>> rows, String step, String metric) {
        Map<String, TreeMap<Double, Double>> series = new LinkedHashMap<>();
        String used = null;
        for (String s : step != null ? new String[] {step} : STEPS) {
            series.clear();
            for (Map<String, Object> r : rows) {
                if (num(r, s) != null && num(r, metric) != null) {
                    series.computeIfAbsent(label(r), k -> new TreeMap<>()).put(num(r, s), num(r, metric));
                }
            }
            series.values().removeIf(m -> m.size() < 2); // a constant field (payload_bytes of a fixed size) is no step
            if (!series.isEmpty()) {
                used = s;
                break;
            }
        }
        if (used == null) {
            return null;
        }
        double x0 = Double.MAX_VALUE;
        double x1 = 0;
        double y1 = 0;
        for (TreeMap<Double, Double> m : series.values()) {
            x0 = Math.min(x0, m.firstKey());
            x1 = Math.max(x1, m.lastKey());
            y1 = Math.max(y1, m.values().stream().mapToDouble(Double::doubleValue).max().orElse(0));
        }
        boolean logX = x0 > 0 && x1 / x0 >= 100;
        Svg svg = new Svg(metric + " by " + used);
        y1 = Math.ceil(y1 * 1.05 / step(y1)) * step(y1);
        svg.axis(0, y1, false);
        int c = 0;
        for (Map.Entry<String, TreeMap<Double, Double>> e : series.entrySet()) {
            StringBuilder pts = new StringBuilder();
            for (Map.Entry<Double, Double> p : e.getValue().entrySet()) {
                double x = LEFT + 10 + (W - LEFT - 40) * (logX ? Math.log(p.getKey() / x0) / Math.log(x1 / x0)
                        : (p.getKey() - x0) / Math.max(1e-9, x1 - x0));
                double y = svg.y(p.getValue(), 0, y1, false);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.circle(x, y, COLORS[c % COLORS.length], e.getKey() + " " + fmt(p.getKey()) + ": " + fmt(p.getValue()));
                svg.xLabel(x, fmt(p.getKey()));
            }
            svg.polyline(pts.toString().trim(), COLORS[c % COLORS.length]);
            svg.legend(c, e.getKey(), COLORS[c % COLORS.length]);
            c++;
        }
        return svg.end();
    }

    /** A round tick step giving about five ticks up to {@code max}: 1, 2 or 5 times a power of ten. */
    static double step(double max) {
        double p = Math.pow(10, Math.floor(Math.log10(max / 5)));
        double m = max / 5 / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    static Double num(Map<String, Object> row, String field) {
        return row.get(field) instanceof Number n ? n.doubleValue() : null;
    }

    static String fmt(Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d)
                    : String.format(Locale.ROOT, Math.abs(d) < 10 ? "%.2f" : "%.0f", d);
        }
        return String.valueOf(v);
    }

    /** A tiny SVG writer: a fixed canvas with the plot area between LEFT/TOP and the bottom margin. */
    private static final class Svg {
        private final StringBuilder b = new StringBuilder();

        Svg(String title) {
            b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                    + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>%n",
                    W, H, W, H));
            text(W / 2.0, 22, title, "middle", 15);
        }

        double y(double v, double min, double max, boolean log) {
            double f = log ? Math.log(Math.max(v, min) / min) / Math.log(max / min) : (v - min) / (max - min);
            return H - BOTTOM - f * (H - BOTTOM - TOP);
        }

        void axis(double min, double max, boolean log) {
            line(LEFT, TOP, LEFT, H - BOTTOM, "#000", false);
            line(LEFT, H - BOTTOM, W - 20, H - BOTTOM, "#000", false);
            List<Double> ticks = new ArrayList<>();
            if (log) {
                for (double t = min; t <= max * 1.001; t *= 10) {
                    ticks.add(t);
                }
            } else {
                for (double t = min; t <= max * 1.001; t += step(max)) {
                    ticks.add(t);
                }
            }
            for (double t : ticks) {
                double y = y(t, min, max, log);
                line(LEFT - 4, y, W - 20, y, "#ddd", false);
                text(LEFT - 6, y + 4, fmt(t), "end", 11);
            }
        }

        void rect(String cls, double x, double y, double w, double h, String fill, String title) {
            b.append(String.format(Locale.ROOT, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>%s</title></rect>%n", cls, x, y, w, Math.max(0, h), fill, esc(title)));
        }

        void line(double x1, double y1, double x2, double y2, String stroke, boolean dashed) {
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"%s/>%n",
                    x1, y1, x2, y2, stroke, dashed ? " stroke-dasharray=\"6 4\" stroke-width=\"2\"" : ""));
        }

        void circle(double x, double y, String fill, String title) {
            b.append(String.format(Locale.ROOT, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s</title></circle>%n",
                    x, y, fill, esc(title)));
        }

        void polyline(String points, String stroke) {
            b.append("<polyline class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"").append(stroke)
                    .append("\" points=\"").append(points).append("\"/>\n");
        }

        void text(double x, double y, String s, String anchor, int size) {
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                    x, y, anchor, size, esc(s)));
        }

        void xLabel(double x, String s) {
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" font-size=\"11\""
                    + " transform=\"rotate(-30 %.1f %d)\">%s</text>%n", x, H - BOTTOM + 14, x, H - BOTTOM + 14, esc(s)));
        }

        void legend(int i, String name, String color) {
            double x = LEFT + 10 + (i % 3) * 200;
            double y = 42 + (i / 3) * 15;
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>%n", x, y - 9, color));
            text(x + 14, y, name, "start", 11);
        }

        String end() {
            return b.append("</svg>\n").toString();
        }

        private static String esc(String s) {
            return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        }
    }
}
