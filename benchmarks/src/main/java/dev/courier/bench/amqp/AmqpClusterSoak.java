package dev.courier.bench.amqp;

import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Scenario;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A soak on the 3-node RabbitMQ cluster of {@code .ci/rabbitmq-cluster.sh} with quorum queues: publishes at
 * {@code --rate} and consumes while it applies {@code --faults} one after the other ({@code kill}: SIGKILL the node
 * leading the consumer's queue, then start it again; {@code pause}: SIGSTOP it for {@code --pause} (longer than the
 * heartbeat), then SIGCONT; {@code rolling}: restart the three nodes one by one), with {@code --settle} of steady
 * stream before, between and after them. A publish whose future failed is published again (same payload, new id).
 * It prints the usual soak fields (sent, confirmed, handled_unique, lost, duplicates_suppressed, duplicates_handled,
 * failed_publishes_retried, latency) and per fault the failover seen by the publisher (longest gap between confirms)
 * and by the consumer (longest gap between deliveries). lost must be 0.
 *
 * <p>With {@code --cluster start} (the default) it starts the cluster with the script and stops it at the end;
 * {@code --cluster running} uses one already started ({@code .ci/rabbitmq-cluster.sh start}). The consumer connects to
 * node 1 first (so its queue is declared, and led, there); with {@code --publisher-away true} (the default) the
 * publisher connects to a node that does not lead the queue: on RabbitMQ 3.10 a publisher whose node dies together
 * with the queue's leader may get a channel that nacks everything (docs/transport-amqp.md, "Known problem").
 */
public final class AmqpClusterSoak implements Scenario {

    @Override
    public String name() {
        return "amqp-cluster-soak";
    }

    @Override
    public String description() {
        return "RabbitMQ 3-node cluster soak, quorum queues, faults kill,pause,rolling (--faults), --rate R, --settle 10s,"
                + " --pause 12s, --heartbeat 2, --cluster start|running, --publisher-away true|false; reports failover times and"
                + " lost (must be 0)";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        double rate = o.getLong("rate", 500);
        Duration settle = o.getDuration("settle", Duration.ofSeconds(10));
        Duration pause = o.getDuration("pause", Duration.ofSeconds(12));
        Duration drain = o.getDuration("drain", Duration.ofSeconds(180));
        int heartbeat = o.getInt("heartbeat", 2);
        String[] faults = o.get("faults", "kill,pause,rolling").split(",");
        Path script = Path.of(o.get("script", ".ci/rabbitmq-cluster.sh"));
        boolean manage = "start".equals(o.get("cluster", "start"));
        if (!Files.isRegularFile(script)) {
            throw new IllegalArgumentException("no cluster script at " + script.toAbsolutePath()
                    + " (run from the repository root, or --script path/to/rabbitmq-cluster.sh)");
        }
        int port = o.getInt("port", 5691);
        String ns = AmqpBench.namespace("csoak");
        String query = "/?queueType=quorum&heartbeat=" + heartbeat + "&namespace=" + ns;
        String uri = addresses(port, new int[] {1, 2, 3}) + query;
        boolean away = Boolean.parseBoolean(o.get("publisher-away", "true"));
        String queue = ns + ".bench-sink." + AmqpBench.ROUTING_KEY;
        int capacity = 50_000_000;
        BitSet confirmed = new BitSet();
        BitSet handled = new BitSet();
        AtomicLong sent = new AtomicLong();
        AtomicLong confirmedCount = new AtomicLong();
        AtomicLong handledCalls = new AtomicLong();
        AtomicLong suppressed = new AtomicLong();
        AtomicLong failedPublishes = new AtomicLong();
        Gap confirmGap = new Gap();
        Gap deliveryGap = new Gap();
        Stats latency = new Stats();
        Map<String, Object> row = new LinkedHashMap<>();
        if (manage) {
            sh(script, 600, "start");
        }
        MessageBus sink = null;
        MessageBus pub = null;
        ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
        long t0 = System.nanoTime();
        int n = 0;
        try {
            sink = MessageBus.builder("bench-sink").transport(uri)
                    .deduplicationStore(InMemoryDeduplicationStore.of(1 << 22, Duration.ofHours(24)))
                    .retryPolicy(RetryPolicy.none()).concurrency(4).prefetch(500)
                    .listener(new BusListener() {
                        @Override
                        public void duplicate(Envelope envelope) {
                            suppressed.incrementAndGet();
                        }
                    })
                    .onEvent(BenchPayload.class, (p, ctx) -> {
                        deliveryGap.mark();
                        latency.add(System.nanoTime() - p.sentNanos());
                        handledCalls.incrementAndGet();
                        synchronized (handled) {
                            handled.set((int) p.seq());
                        }
                    }).build().start();
            String pubUri = uri;
            if (away) { // the publisher on a node that does not lead the queue (RabbitMQ 3.10: see docs/transport-amqp.md)
                int leader = leader(script, queue);
                int other = leader % 3 + 1;
                pubUri = addresses(port, new int[] {other, other % 3 + 1, leader}) + query;
                row.put("publisher_node", "courier-c" + other);
            }
            pub = MessageBus.builder("bench-pub").transport(pubUri).publishTimeout(Duration.ofSeconds(30))
                    .produces(BenchPayload.class).build().start();
            MessageBus s = sink;
            MessageBus p = pub;
            progress.scheduleAtFixedRate(() -> System.err.printf("cluster-soak %4ds: sent %d confirmed %d handled %d"
                            + " failed-publishes %d suppressed %d healthy %s%n", (System.nanoTime() - t0) / 1_000_000_000L,
                    sent.get(), confirmedCount.get(), handledCalls.get(), failedPublishes.get(), suppressed.get(),
                    s.health().isHealthy() && p.health().isHealthy()), 5, 5, TimeUnit.SECONDS);
            Semaphore inFlight = new Semaphore(2_000);
            AtomicBoolean stop = new AtomicBoolean();
            int[] issued = new int[1];
            MessageBus publisher = pub;
            Thread producer = new Thread(() -> {
                for (int i = 0; !stop.get() && i < capacity; i++) {
                    Runs.pace(t0, i, rate);
                    try {
                        inFlight.acquire();
                    } catch (InterruptedException e) {
                        return;
                    }
                    issued[0] = i + 1;
                    publish(publisher, i, sent, confirmed, confirmedCount, failedPublishes, inFlight, retry, confirmGap);
                }
            }, "cluster-soak-producer");
            producer.start();
            try {
                park(settle);
                for (String f : faults) {
                    f = f.trim();
                    confirmGap.reset();
                    deliveryGap.reset();
                    long f0 = System.nanoTime();
                    String detail = fault(script, f, queue, pause);
                    long faultMs = (System.nanoTime() - f0) / 1_000_000;
                    park(settle);
                    row.put(f + "_publisher_failover_ms", confirmGap.maxMillis());
                    row.put(f + "_consumer_failover_ms", deliveryGap.maxMillis());
                    row.put(f + "_fault_ms", faultMs);
                    row.put(f + "_detail", detail);
                    System.err.printf("cluster-soak fault %s (%s): publisher failover %d ms, consumer failover %d ms%n",
                            f, detail, confirmGap.maxMillis(), deliveryGap.maxMillis());
                }
            } finally {
                stop.set(true);
                producer.join(30_000);
                n = issued[0];
            }
            inFlight.acquire(2_000); // every publish confirmed, retries included
            inFlight.release(2_000);
            long drainEnd = System.nanoTime() + drain.toNanos();
            while (System.nanoTime() < drainEnd && lost(confirmed, handled) > 0) {
                Thread.sleep(200); // polling the counters; the bench has no other signal
            }
        } finally {
            progress.shutdownNow();
            retry.shutdownNow();
            for (MessageBus b : new MessageBus[] {pub, sink}) {
                if (b != null) {
                    try {
                        b.close();
                    } catch (RuntimeException ignored) {
                        // keep closing
                    }
                }
            }
            if (manage) {
                sh(script, 300, "stop");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", name());
        out.put("transport", "amqp-cluster-quorum");
        out.put("messages", n);
        out.put("seconds", (System.nanoTime() - t0) / 1e9);
        out.put("rate", rate);
        out.put("sent", sent.get());
        out.put("confirmed", confirmedCount.get());
        out.put("handled_unique", card(handled));
        out.put("lost", lost(confirmed, handled));
        out.put("duplicates_suppressed", suppressed.get());
        out.put("duplicates_handled", handledCalls.get() - card(handled));
        out.put("failed_publishes_retried", failedPublishes.get());
        out.put("sdk_p50_us", latency.percentileMicros(50));
        out.put("sdk_p99_us", latency.percentileMicros(99));
        out.put("sdk_p999_us", latency.percentileMicros(99.9));
        out.putAll(row);
        return List.of(out);
    }

    private static String addresses(int port, int[] order) {
        StringBuilder b = new StringBuilder("amqp://guest:guest@");
        for (int i = 0; i < order.length; i++) {
            b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(port + order[i] - 1);
        }
        return b.toString();
    }

    /** Applies one fault; returns what it did (which node). The cluster is whole again when it returns. */
    private static String fault(Path script, String f, String queue, Duration pause) throws Exception {
        switch (f) {
            case "kill" -> {
                int leader = leader(script, queue);
                try {
                    sh(script, 60, "kill", Integer.toString(leader));
                    park(Duration.ofSeconds(5)); // the node stays down a while: the failover happens meanwhile
                } finally {
                    sh(script, 400, "restart", Integer.toString(leader));
                }
                return "leader courier-c" + leader + " SIGKILLed, restarted";
            }
            case "pause" -> {
                int leader = leader(script, queue);
                try {
                    sh(script, 60, "pause", Integer.toString(leader));
                    park(pause);
                } finally {
                    sh(script, 60, "resume", Integer.toString(leader));
                }
                return "leader courier-c" + leader + " SIGSTOPped " + pause.toSeconds() + " s";
            }
            case "rolling" -> {
                for (int i = 1; i <= 3; i++) {
                    sh(script, 400, "restart", Integer.toString(i));
                }
                return "courier-c1..c3 restarted one by one";
            }
            default -> throw new IllegalArgumentException("unknown fault '" + f + "' (kill, pause, rolling)");
        }
    }

    private static int leader(Path script, String queue) throws Exception {
        String node = sh(script, 120, "leader", queue).trim();
        return Integer.parseInt(node.substring("courier-c".length(), node.indexOf('@')));
    }

    private static String sh(Path script, int timeoutSeconds, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("courier-cluster-soak", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            String text = Files.readString(out);
            if (!done || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static void park(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis()); // the soak's schedule: steady stream between faults
    }

    private static void publish(MessageBus pub, int seq, AtomicLong sent, BitSet confirmed, AtomicLong confirmedCount,
                                AtomicLong failed, Semaphore inFlight, ScheduledExecutorService retry, Gap confirmGap) {
        sent.incrementAndGet();
        pub.publish(Runs.payload(seq, System.nanoTime())).whenComplete((x, e) -> {
            if (e == null) {
                confirmGap.mark();
                synchronized (confirmed) {
                    if (!confirmed.get(seq)) {
                        confirmed.set(seq);
                        confirmedCount.incrementAndGet();
                    }
                }
                inFlight.release();
            } else {
                failed.incrementAndGet();
                retry.schedule(() -> publish(pub, seq, sent, confirmed, confirmedCount, failed, inFlight, retry, confirmGap),
                        200, TimeUnit.MILLISECONDS);
            }
        });
    }

    private static long card(BitSet b) {
        synchronized (b) {
            return b.cardinality();
        }
    }

    private static long lost(BitSet confirmed, BitSet handled) {
        BitSet c;
        synchronized (confirmed) {
            c = (BitSet) confirmed.clone();
        }
        synchronized (handled) {
            c.andNot(handled);
        }
        return c.cardinality();
    }

    /** The longest pause between two consecutive events since the last reset. */
    private static final class Gap {
        private long last;
        private long max;

        synchronized void mark() {
            long now = System.nanoTime();
            if (last != 0) {
                max = Math.max(max, now - last);
            }
            last = now;
        }

        synchronized void reset() {
            max = 0;
        }

        synchronized long maxMillis() {
            return TimeUnit.NANOSECONDS.toMillis(max);
        }
    }
}
