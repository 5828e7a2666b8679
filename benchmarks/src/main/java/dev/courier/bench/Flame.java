package dev.courier.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code java -jar courier-bench.jar flame [--thread REGEX] [--event jdk.ExecutionSample|jdk.ObjectAllocationSample]
 * [--include REGEX] [--title T] [--top N] [--out FILE.svg] recording.jfr}: reads a JFR recording with the JDK's
 * {@code jdk.jfr.consumer} API, folds the stack traces of one event type (root at the bottom, frames named
 * {@code package.Class.method}; only the threads whose name matches {@code --thread}; only the samples with a
 * frame matching {@code --include}; allocation samples weighted by their {@code weight}, the bytes they stand
 * for) and writes a self-contained SVG flame graph to {@code --out} (default {@code flame.svg}): one rectangle
 * per frame and caller path, as wide as its share of the samples, children in alphabetical order (so two
 * graphs of the same code line up), a tooltip with the samples and percent, coloured by package. The top
 * frames by self and by total weight are printed on stdout.
 */
public final class Flame {
    static final int W = 1200;
    static final int ROW = 16;
    static final int TOP = 64; // heading, subtitle and legend
    static final int PAD = 10;
    static final double CHAR_PX = 6.7; // 11px monospace, a little wider than DejaVu Sans Mono's 6.6
    static final double MIN_PX = 0.3; // narrower frames (and what they hold) are left out of the SVG
    static final String ROOT = "all";
    static final String TRUNCATED = "[truncated]";
    private static final Pattern HIDDEN = Pattern.compile("[+/]0x[0-9a-fA-F]+(\\.\\d+)?$");

    /** The colour families, in legend order: a name, the package prefixes that belong to it, a base hue. */
    enum Family {
        BENCH("benchmark harness", 5, 55, "dev.courier.bench.", "org.HdrHistogram."),
        COURIER("Courier (dev.courier)", 110, 55, "dev.courier."),
        JDK("JDK", -1, 0, "java.", "javax.", "jdk.", "sun.", "com.sun."),
        JACKSON("Jackson", 210, 60, "com.fasterxml.jackson."),
        AMQP("AMQP client", 28, 85, "com.rabbitmq.", "org.springframework.amqp."),
        HIVEMQ("HiveMQ MQTT", 265, 45, "com.hivemq."),
        WEBSOCKET("Java-WebSocket", 180, 55, "org.java_websocket."),
        KAFKA("Kafka client", 310, 50, "org.apache.kafka."),
        OTHER("other", 50, 70);

        final String label;
        final int hue;
        final int saturation;
        final String[] prefixes;

        Family(String label, int hue, int saturation, String... prefixes) {
            this.label = label;
            this.hue = hue;
            this.saturation = saturation;
            this.prefixes = prefixes;
        }

        static Family of(String frame) {
            if (frame.equals(ROOT) || frame.equals(TRUNCATED)) {
                return JDK;
            }
            for (Family f : values()) {
                for (String p : f.prefixes) {
                    if (frame.startsWith(p)) {
                        return f;
                    }
                }
            }
            return OTHER;
        }

        /** A fill of this family, its lightness varied a little by the frame name so neighbours differ. */
        String color(String frame) {
            int jitter = Math.floorMod(frame.hashCode(), 13);
            if (hue < 0) {
                int grey = 178 + jitter;
                return String.format(Locale.ROOT, "rgb(%d,%d,%d)", grey, grey, grey);
            }
            return String.format(Locale.ROOT, "hsl(%d,%d%%,%d%%)", hue + jitter - 6, saturation, 62 + jitter);
        }
    }

    /** Folded stacks: the weight per distinct stack, each stack root first. */
    static final class Folded {
        final Map<List<String>, Long> stacks = new HashMap<>();
        long total;
        long events;

        void add(List<String> rootFirst, long weight) {
            stacks.merge(List.copyOf(rootFirst), weight, Long::sum);
            total += weight;
            events++;
        }
    }

    /** One frame on one caller path: its total weight (itself and what it called) and its self weight. */
    static final class Node {
        final String name;
        long total;
        long self;
        final Map<String, Node> children = new TreeMap<>();

        Node(String name) {
            this.name = name;
        }

        int depth() {
            return depth(0);
        }

        /** The levels of this node and its callees that are at least {@code minTotal} wide. */
        int depth(double minTotal) {
            if (total < minTotal) {
                return 0;
            }
            int d = 0;
            for (Node c : children.values()) {
                d = Math.max(d, c.depth(minTotal));
            }
            return d + 1;
        }
    }

    private Flame() {
    }

    /** The {@code flame} subcommand; {@code args} are what follows the word {@code flame}. */
    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--") && i + 1 < args.length) {
                opt.put(args[i].substring(2), args[++i]);
            } else {
                files.add(args[i]);
            }
        }
        if (files.size() != 1) {
            System.err.println("usage: java -jar courier-bench.jar flame [--thread NAME-REGEX] [--event jdk.ExecutionSample|"
                    + "jdk.ObjectAllocationSample] [--include REGEX] [--title T] [--top N] [--out FILE.svg] recording.jfr");
            System.exit(2);
        }
        String event = opt.getOrDefault("event", "jdk.ExecutionSample");
        Pattern thread = opt.containsKey("thread") ? Pattern.compile(opt.get("thread")) : null;
        Pattern include = opt.containsKey("include") ? Pattern.compile(opt.get("include")) : null;
        Path file = Path.of(files.get(0));
        Folded folded = read(file, event, thread, include);
        if (folded.total == 0) {
            System.err.println("no " + event + " events with a stack trace in " + file
                    + (thread != null ? " on threads matching " + thread : "") + (include != null ? " through " + include : ""));
            System.exit(1);
        }
        String unit = unit(event);
        StringBuilder sub = new StringBuilder(event);
        if (thread != null) {
            sub.append(", threads ~ /").append(thread).append('/');
        }
        if (include != null) {
            sub.append(", stacks through /").append(include).append('/');
        }
        sub.append(", ").append(file.getFileName());
        String title = opt.getOrDefault("title", "Flame graph");
        Path out = Path.of(opt.getOrDefault("out", "flame.svg"));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, svg(tree(folded), title, sub.toString(), unit), StandardCharsets.UTF_8);
        System.err.println("wrote " + out);
        System.out.print(top(folded, Integer.parseInt(opt.getOrDefault("top", "25")), unit, sub.toString()));
    }

    /** What one unit of weight is: a sample, or (allocation samples) a byte. */
    static String unit(String event) {
        return event.equals("jdk.ObjectAllocationSample") ? "bytes" : "samples";
    }

    /**
     * The events of type {@code event} in {@code file} that have a stack trace, folded. The thread is the
     * event's {@code sampledThread} (execution samples) or its own thread; the weight is the event's
     * {@code weight} field when it has one (allocation samples: the bytes the sample stands for), else 1.
     */
    static Folded read(Path file, String event, Pattern thread, Pattern include) throws IOException {
        Folded folded = new Folded();
        try (RecordingFile in = new RecordingFile(file)) {
            while (in.hasMoreEvents()) {
                RecordedEvent e = in.readEvent();
                if (!e.getEventType().getName().equals(event) || e.getStackTrace() == null) {
                    continue;
                }
                if (thread != null && !thread.matcher(threadName(e)).find()) {
                    continue;
                }
                List<String> stack = stack(e.getStackTrace());
                if (include != null && stack.stream().noneMatch(f -> include.matcher(f).find())) {
                    continue;
                }
                long weight = e.hasField("weight") ? Math.max(0, e.getLong("weight")) : 1;
                folded.add(stack, weight);
            }
        }
        return folded;
    }

    private static String threadName(RecordedEvent e) {
        RecordedThread t = e.hasField("sampledThread") ? e.getThread("sampledThread") : e.getThread();
        if (t == null) {
            return "";
        }
        return t.getJavaName() != null ? t.getJavaName() : String.valueOf(t.getOSName());
    }

    /** The frames of {@code trace}, root first; a truncated trace gets a {@value #TRUNCATED} root. */
    static List<String> stack(RecordedStackTrace trace) {
        List<RecordedFrame> frames = trace.getFrames();
        List<String> names = new ArrayList<>(frames.size() + 1);
        if (trace.isTruncated()) {
            names.add(TRUNCATED);
        }
        for (int i = frames.size() - 1; i >= 0; i--) {
            RecordedFrame f = frames.get(i);
            names.add(frame(f.getMethod().getType().getName(), f.getMethod().getName()));
        }
        return names;
    }

    /**
     * {@code Class.method}, the class fully qualified; the generated part of a lambda's or hidden class's name
     * ({@code $$Lambda$17/0x0000000800c0b000}, {@code $$Lambda+0x00007f3b90180ba8.530696881}) becomes
     * {@code $$Lambda}, a hidden class loses its {@code +0x...} suffix, so that runs and JVMs fold alike.
     */
    static String frame(String className, String method) {
        int lambda = className.indexOf("$$Lambda");
        String c = lambda >= 0 ? className.substring(0, lambda + 8) : HIDDEN.matcher(className).replaceAll("");
        return c + "." + method;
    }

    /** The folded stacks as a tree under a {@value #ROOT} node. */
    static Node tree(Folded folded) {
        Node root = new Node(ROOT);
        for (Map.Entry<List<String>, Long> s : folded.stacks.entrySet()) {
            Node n = root;
            n.total += s.getValue();
            for (String f : s.getKey()) {
                n = n.children.computeIfAbsent(f, Node::new);
                n.total += s.getValue();
            }
            n.self += s.getValue();
        }
        return root;
    }

    /** The text report: the top {@code n} frames by self weight, then by total weight (a frame counted once per stack). */
    static String top(Folded folded, int n, String unit, String what) {
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        for (Map.Entry<List<String>, Long> s : folded.stacks.entrySet()) {
            List<String> stack = s.getKey();
            if (!stack.isEmpty()) {
                self.merge(stack.get(stack.size() - 1), s.getValue(), Long::sum);
            }
            for (String f : new LinkedHashSet<>(stack)) {
                total.merge(f, s.getValue(), Long::sum);
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%,d %s in %,d events (%s)%n", folded.total, unit, folded.events, what));
        table(b, "self", self, n, folded.total, unit);
        table(b, "total", total, n, folded.total, unit);
        return b.toString();
    }

    private static void table(StringBuilder b, String kind, Map<String, Long> m, int n, long all, String unit) {
        b.append(String.format(Locale.ROOT, "%ntop %d by %s:%n%7s %14s  frame%n", n, kind, "%", unit));
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(m.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        for (Map.Entry<String, Long> e : sorted.subList(0, Math.min(n, sorted.size()))) {
            b.append(String.format(Locale.ROOT, "%6.2f%% %,14d  %s%n", 100.0 * e.getValue() / all, e.getValue(), e.getKey()));
        }
    }

    /** The SVG flame graph of {@code root}: {@code title} and the total in the heading, {@code subtitle} below it. */
    static String svg(Node root, String title, String subtitle, String unit) {
        double scale = (W - 2.0 * PAD) / root.total;
        int depth = root.depth(MIN_PX / scale);
        int h = TOP + depth * ROW + PAD + 16;
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">%n", W, h, W, h));
        b.append("<style>rect.frame:hover{stroke:#000;stroke-width:0.6} text.label{font-family:monospace;font-size:11px;"
                + "pointer-events:none}</style>\n");
        b.append("<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n");
        text(b, W / 2.0, 22, String.format(Locale.ROOT, "%s — %,d %s%s", title, root.total, unit,
                unit.equals("bytes") ? " (" + human(root.total) + ")" : ""), "middle", 15, null);
        text(b, W / 2.0, 40, subtitle, "middle", 11, "#555");
        Set<Family> used = new HashSet<>();
        collect(root, used);
        double lx = PAD;
        for (Family f : Family.values()) {
            if (!used.contains(f)) {
                continue;
            }
            b.append(String.format(Locale.ROOT, "<rect class=\"legend\" x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>%n",
                    lx, 47, f.color(f.label)));
            text(b, lx + 14, 56, f.label, "start", 11, null);
            lx += 26 + f.label.length() * 5.4;
        }
        text(b, W - PAD, 56, "width = share of " + unit + "; root at the bottom; hover for figures", "end", 10, "#555");
        frames(b, root, PAD, 0, depth, scale, root.total, unit);
        return b.append("</svg>\n").toString();
    }

    /** {@code bytes} in kB, MB or GB (powers of 1000), one decimal. */
    static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static void collect(Node n, Set<Family> used) {
        used.add(Family.of(n.name));
        for (Node c : n.children.values()) {
            collect(c, used);
        }
    }

    private static void frames(StringBuilder b, Node n, double x, int level, int depth, double scale, long all, String unit) {
        double w = n.total * scale;
        if (w < MIN_PX) {
            return;
        }
        double y = TOP + (depth - 1 - level) * ROW;
        String tip = String.format(Locale.ROOT, "%s\n%,d %s (%.2f %%), self %,d (%.2f %%)", n.name, n.total, unit,
                100.0 * n.total / all, n.self, 100.0 * n.self / all);
        b.append(String.format(Locale.ROOT, "<g><title>%s</title><rect class=\"frame\" x=\"%.2f\" y=\"%d\" width=\"%.2f\""
                + " height=\"%d\" rx=\"1.5\" fill=\"%s\"/>", esc(tip), x, (int) y, Math.max(0.1, w - 0.4), ROW - 1,
                Family.of(n.name).color(n.name)));
        String label = label(n.name, w - 6);
        if (!label.isEmpty()) {
            b.append(String.format(Locale.ROOT, "<text class=\"label\" x=\"%.2f\" y=\"%d\">%s</text>", x + 3, (int) y + ROW - 4,
                    esc(label)));
        }
        b.append("</g>\n");
        double cx = x;
        for (Node c : n.children.values()) {
            frames(b, c, cx, level + 1, depth, scale, all, unit);
            cx += c.total * scale;
        }
    }

    /**
     * What of frame {@code name} fits in {@code px}: {@code Class.method} without the package (the colour and
     * the tooltip tell it), else its start and "..", else nothing.
     */
    static String label(String name, double px) {
        int fits = (int) Math.floor(px / CHAR_PX);
        String simple = simple(name);
        if (simple.length() <= fits) {
            return simple;
        }
        return fits >= 4 ? simple.substring(0, fits - 2) + ".." : "";
    }

    /** {@code Class.method} of {@code package.Class.method}. */
    static String simple(String name) {
        int method = name.lastIndexOf('.');
        if (method <= 0) {
            return name;
        }
        int cls = name.lastIndexOf('.', method - 1);
        return name.substring(cls + 1);
    }

    private static void text(StringBuilder b, double x, double y, String s, String anchor, int size, String fill) {
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s>%s</text>%n",
                x, y, anchor, size, fill != null ? " fill=\"" + fill + "\"" : "", esc(s)));
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
