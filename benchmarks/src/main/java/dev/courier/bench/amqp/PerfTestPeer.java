package dev.courier.bench.amqp;

import dev.courier.bench.Options;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * RabbitMQ's own PerfTest (com.rabbitmq:perf-test) as the reference column of amqp-throughput: run in
 * a child JVM with the settings of the raw and Courier runs — one producer, one consumer, persistent
 * messages of the same size, the same properties and CloudEvents headers ({@code --message-properties}),
 * the same confirm window ({@code -c}) and prefetch ({@code -q}), a fixed message count
 * ({@code -C}/{@code -D}), a topic exchange and a durable queue of its own (deleted afterwards). Its
 * class path is {@code perftest-lib/*} beside courier-bench.jar (the build copies it there), then the
 * jar itself; {@code --perftest-lib DIR} names another folder.
 */
final class PerfTestPeer {
    private static final Pattern RECEIVING = Pattern.compile("receiving rate avg: ([0-9.]+) msg/s");
    private static final Pattern SENDING = Pattern.compile("sending rate avg: ([0-9.]+) msg/s");
    /** One sampling line: {@code time 2.038 s, sent: ..., received: 1138 msg/s, ...}. */
    private static final Pattern SAMPLE = Pattern.compile("time ([0-9.]+) s, .*received: ([0-9.]+) msg/s");

    /**
     * One PerfTest run as PerfTest reports it.
     *
     * @param receivingMsgsPerSecond the receiving rate of the measured messages: PerfTest's own "receiving
     *                               rate avg" when it ran without warm-up; with {@code warmup} messages first
     *                               (in the same JVM, as the raw and Courier runs are warmed up), the measured
     *                               count over the time after PerfTest's per-second samples had counted the
     *                               warm-up ones received
     * @param overallMsgsPerSecond   PerfTest's "receiving rate avg" over all messages, warm-up included
     * @param sendingMsgsPerSecond   PerfTest's "sending rate avg"
     * @param cpuMicrosPerMsg        the child JVM's CPU time (all threads, start-up included) per message,
     *                               taken when it prints its averages; NaN when the OS does not tell
     */
    record Result(double receivingMsgsPerSecond, double overallMsgsPerSecond, double sendingMsgsPerSecond,
                  double cpuMicrosPerMsg) {
    }

    private final Options o;
    private final List<String> classPath;

    private PerfTestPeer(Options o, List<String> classPath) {
        this.o = o;
        this.classPath = classPath;
    }

    /** The peer, or null (with the reason on stderr) when PerfTest's jars are not there or it is turned off. */
    static PerfTestPeer find(Options o) {
        if (!Boolean.parseBoolean(o.get("perftest", "true"))) {
            return null;
        }
        Path self;
        try {
            self = Path.of(PerfTestPeer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            System.err.println("perftest: cannot tell where courier-bench.jar is (" + e + "); skipping PerfTest");
            return null;
        }
        Path lib = o.has("perftest-lib") ? Path.of(o.get("perftest-lib", ""))
                : self.getParent().resolve("perftest-lib"); // target/ for the jar and for target/classes
        if (!Files.isDirectory(lib)) {
            System.err.println("perftest: no " + lib + " (built by `mvn -pl benchmarks -am package`); skipping PerfTest");
            return null;
        }
        return new PerfTestPeer(o, List.of(lib.toAbsolutePath() + File.separator + "*", self.toAbsolutePath().toString()));
    }

    /**
     * The CloudEvents headers and properties Courier writes for one event (see sdk-amqp's Wire), with
     * values of the same length, as PerfTest's {@code key=value,...}: non-standard keys are headers.
     */
    static String messageProperties() {
        String id = UUID.randomUUID().toString();
        String tp = "00-" + UUID.randomUUID().toString().replace("-", "") + "-"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 16) + "-01";
        return String.join(",", "cloudEvents_id=" + id, "cloudEvents_source=bench-pub",
                "cloudEvents_type=" + AmqpBench.ROUTING_KEY, "cloudEvents_time=" + Instant.now(),
                "cloudEvents_specversion=1.0", "cloudEvents_correlationid=" + id, "cloudEvents_traceparent=" + tp,
                "contentType=application/json", "messageId=" + id, "correlationId=" + id,
                "type=" + AmqpBench.ROUTING_KEY);
    }

    /**
     * Runs PerfTest once with {@code warmup + messages} messages of {@code size} bytes and parses its
     * averages and samples: the rate of the last {@code messages} (see {@link Result}).
     */
    Result run(int warmup, int messages, int size, int window, int prefetch) throws Exception {
        int total = warmup + messages;
        String ns = AmqpBench.namespace("p");
        String exchange = ns + ".perftest.events";
        String queue = ns + ".perftest.sink";
        String uri = AmqpBench.uri(o);
        // PerfTest's -h wants the vhost spelled out the way amqp-client reads it
        if (URI.create(uri).getPath() == null || URI.create(uri).getPath().equals("/")) {
            uri = uri.replaceAll("/$", "") + "/%2F";
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classPath));
        cmd.add("com.rabbitmq.perf.PerfTest");
        cmd.addAll(List.of("-h", uri, "-x", "1", "-y", "1", "-f", "persistent", "-c", String.valueOf(window),
                "-q", String.valueOf(prefetch), "-s", String.valueOf(size), "-C", String.valueOf(total),
                "-D", String.valueOf(total), "-e", exchange, "-t", "topic", "-k", AmqpBench.ROUTING_KEY,
                "-u", queue, "-ad", "false", "-mp", messageProperties(), "-i", "1"));
        int ackEvery = o.getInt("raw-ack-every", RawAmqp.DEFAULT_ACK_EVERY);
        if (ackEvery > 0) {
            cmd.addAll(List.of("-A", String.valueOf(ackEvery))); // multiple acks, as the raw baseline and Courier
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Double receiving = null;
        Double sending = null;
        long cpuNanos = -1;
        double lastTime = 0;
        double counted = 0;
        double warmedAt = warmup == 0 ? 0 : -1; // seconds into PerfTest's run when the warm-up was received
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                tail.add(line);
                if (tail.size() > 20) {
                    tail.remove(0);
                }
                Matcher m = SAMPLE.matcher(line);
                if (m.find()) {
                    double t = Double.parseDouble(m.group(1));
                    double got = Double.parseDouble(m.group(2)) * (t - lastTime);
                    if (warmedAt < 0 && counted + got >= warmup) {
                        warmedAt = lastTime + (t - lastTime) * (warmup - counted) / got;
                    }
                    counted += got;
                    lastTime = t;
                }
                m = RECEIVING.matcher(line);
                if (m.find()) {
                    receiving = Double.parseDouble(m.group(1));
                }
                m = SENDING.matcher(line);
                if (m.find()) {
                    sending = Double.parseDouble(m.group(1));
                    cpuNanos = p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
                }
            }
        } finally {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            AmqpBench.delete(o, List.of(queue, exchange));
        }
        if (receiving == null || sending == null) {
            throw new IllegalStateException("PerfTest printed no averages (exit " + p.exitValue() + "):\n"
                    + String.join("\n", tail));
        }
        double took = total / receiving; // PerfTest's whole run, from its own average
        double measured = warmedAt >= 0 && warmedAt < took ? messages / (took - warmedAt) : receiving;
        return new Result(measured, receiving, sending, cpuNanos < 0 ? Double.NaN : cpuNanos / 1e3 / total);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "PerfTest(%s)", classPath);
    }
}
