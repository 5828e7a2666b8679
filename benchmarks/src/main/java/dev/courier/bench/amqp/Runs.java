package dev.courier.bench.amqp;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Stats;
import dev.courier.bench.Tally;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One measured run, Courier or raw: publish {@code messages} payloads (as fast as the confirm window
 * allows, or paced at {@code rate} per second measured from the intended send time) and wait until
 * the handler has seen them all. Latency = handled time − intended send time.
 */
final class Runs {
    /**
     * @param cpuMicrosPerMsg       CPU of the whole JVM (all threads: client, JIT, GC) per message
     * @param threadCpuMicrosPerMsg CPU of the Java threads alive at the end of the run (the client's and
     *                              the benchmark's own; not JIT compiler or GC threads) per message
     * @param allocBytesPerMsg      bytes those threads allocated per message
     * @param brokerCpuMicrosPerMsg CPU of the local RabbitMQ per message (NaN when not found)
     */
    record Result(double msgsPerSecond, Stats latency, long lost, long duplicates, double cpuMicrosPerMsg,
                  double threadCpuMicrosPerMsg, double allocBytesPerMsg, double brokerCpuMicrosPerMsg) {
        Result(double msgsPerSecond, Stats latency, long lost, long duplicates) {
            this(msgsPerSecond, latency, lost, duplicates, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
    }

    /**
     * CPU time and allocated bytes of every live Java thread, by thread id, read through
     * {@link com.sun.management.ThreadMXBean}; {@link #since} gives what the threads alive at the end
     * used since the snapshot (threads started in between count from zero). JIT compiler and GC
     * threads are not Java threads seen here: this is the client's own work, steady under JIT noise.
     */
    static final class ThreadUse {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        private final java.util.Map<Long, long[]> byId = new java.util.HashMap<>();
        private final java.util.Map<Long, String> names = new java.util.HashMap<>();

        static ThreadUse now() {
            ThreadUse u = new ThreadUse();
            long[] ids = THREADS.getAllThreadIds();
            long[] cpu = THREADS.getThreadCpuTime(ids);
            long[] alloc = THREADS.getThreadAllocatedBytes(ids);
            for (int i = 0; i < ids.length; i++) {
                if (cpu[i] >= 0) {
                    u.byId.put(ids[i], new long[] {cpu[i], Math.max(0, alloc[i])});
                }
            }
            for (java.lang.management.ThreadInfo t : THREADS.getThreadInfo(ids)) {
                if (t != null) {
                    u.names.put(t.getThreadId(), t.getThreadName());
                }
            }
            return u;
        }

        /**
         * @return CPU µs and allocated bytes per message by thread-name group (digits and hex ids taken out),
         *         of the threads of {@code end} since this snapshot, largest CPU first
         */
        String byGroup(ThreadUse end, int messages) {
            java.util.Map<String, long[]> groups = new java.util.TreeMap<>();
            for (java.util.Map.Entry<Long, long[]> e : end.byId.entrySet()) {
                long[] before = byId.getOrDefault(e.getKey(), new long[2]);
                String name = end.names.getOrDefault(e.getKey(), "?").replaceAll("[0-9a-f]{6,}|[0-9]+", "#");
                long[] g = groups.computeIfAbsent(name, k -> new long[2]);
                g[0] += e.getValue()[0] - before[0];
                g[1] += e.getValue()[1] - before[1];
            }
            StringBuilder b = new StringBuilder();
            groups.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0]))
                    .filter(e -> e.getValue()[0] > 0).forEach(e -> b.append(String.format(java.util.Locale.ROOT,
                            "%n    %-48s %6.1f µs/msg %7.0f B/msg", e.getKey(), e.getValue()[0] / 1e3 / messages,
                            (double) e.getValue()[1] / messages)));
            return b.toString();
        }

        /** @return {cpu nanoseconds, allocated bytes} used by the threads of {@code end} since this snapshot */
        long[] until(ThreadUse end) {
            long cpu = 0;
            long alloc = 0;
            for (java.util.Map.Entry<Long, long[]> e : end.byId.entrySet()) {
                long[] before = byId.getOrDefault(e.getKey(), new long[2]);
                cpu += e.getValue()[0] - before[0];
                alloc += e.getValue()[1] - before[1];
            }
            return new long[] {cpu, alloc};
        }
    }

    /** The local RabbitMQ's Erlang VM (beam.smp), found once; null when the broker is not on this machine. */
    private static final java.nio.file.Path BROKER_STAT = ProcessHandle.allProcesses()
            .filter(p -> p.info().command().map(c -> c.endsWith("beam.smp")).orElse(false))
            .map(p -> java.nio.file.Path.of("/proc", Long.toString(p.pid()), "stat"))
            .filter(java.nio.file.Files::isReadable).findFirst().orElse(null);

    /**
     * CPU time (user + system) of the local RabbitMQ so far, in nanoseconds, from /proc (10 ms ticks); -1
     * when it is not found. Other users of the same broker count too: read it beside the client's figures.
     */
    static long brokerCpuNanos() {
        if (BROKER_STAT == null) {
            return -1;
        }
        try {
            String stat = java.nio.file.Files.readString(BROKER_STAT);
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // utime, stime (USER_HZ 100)
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU time of this whole JVM so far (all threads: client, JIT, GC), in nanoseconds. */
    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private Runs() {
    }

    static BenchPayload payload(long seq, long intendedNanos) {
        BenchPayload p = BenchPayload.of(seq);
        return new BenchPayload(seq, intendedNanos, p.customerId(), p.sku(), p.quantity(), p.note());
    }

    /** Sleeps until the intended send time of message {@code i}; returns that time. */
    static long pace(long t0, long i, double rate) {
        if (rate <= 0) {
            return System.nanoTime();
        }
        long due = t0 + (long) (i * 1e9 / rate);
        long now;
        while ((now = System.nanoTime()) < due) {
            LockSupport.parkNanos(due - now);
        }
        return due;
    }

    static Result courier(Options o, int messages, int window, int prefetch, int concurrency, double rate) throws Exception {
        String ns = AmqpBench.namespace("c");
        Tally tally = new Tally(messages);
        MessageBus sink = MessageBus.builder("bench-sink").transport(AmqpBench.transport(o, ns, window))
                .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                .retryPolicy(RetryPolicy.none()).concurrency(concurrency).prefetch(prefetch)
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    tally.record(p);
                }).build().start();
        MessageBus pub = MessageBus.builder("bench-pub").transport(AmqpBench.transport(o, ns, window))
                .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
        try {
            long cpu0 = processCpuNanos();
            long broker0 = brokerCpuNanos();
            ThreadUse use0 = ThreadUse.now();
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> confirms = new ArrayList<>(messages);
            for (int i = 0; i < messages; i++) {
                long intended = pace(t0, i, rate);
                confirms.add(pub.publish(payload(i, intended)));
            }
            CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(300, TimeUnit.SECONDS);
            try {
                tally.all().get(300, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                // lost is reported
            }
            long took = System.nanoTime() - t0;
            double cpu = (processCpuNanos() - cpu0) / 1e3 / messages;
            ThreadUse use1 = ThreadUse.now(); // before the close below ends the client's threads
            long[] use = use0.until(use1);
            if (Boolean.parseBoolean(o.get("thread-detail", "false"))) {
                System.err.println("courier threads:" + use0.byGroup(use1, messages));
            }
            long broker1 = brokerCpuNanos();
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates(), cpu,
                    use[0] / 1e3 / messages, (double) use[1] / messages,
                    broker0 < 0 || broker1 < 0 ? Double.NaN : (broker1 - broker0) / 1e3 / messages);
        } finally {
            pub.close();
            sink.close();
            AmqpBench.delete(o, AmqpBench.courierNames(ns));
        }
    }

    static Result raw(Options o, int messages, int window, int prefetch, double rate) throws Exception {
        String ns = AmqpBench.namespace("r");
        Tally tally = new Tally(messages);
        RawAmqp raw = new RawAmqp(o, ns, window, prefetch);
        try {
            raw.consume(p -> {
                tally.record(p);
            });
            long cpu0 = processCpuNanos();
            long broker0 = brokerCpuNanos();
            ThreadUse use0 = ThreadUse.now();
            long t0 = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                long intended = pace(t0, i, rate);
                raw.publish(payload(i, intended));
            }
            raw.confirmed(messages).get(300, TimeUnit.SECONDS);
            try {
                tally.all().get(300, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                // lost is reported
            }
            long took = System.nanoTime() - t0;
            double cpu = (processCpuNanos() - cpu0) / 1e3 / messages;
            ThreadUse use1 = ThreadUse.now(); // before the close below ends the client's threads
            long[] use = use0.until(use1);
            if (Boolean.parseBoolean(o.get("thread-detail", "false"))) {
                System.err.println("raw threads:" + use0.byGroup(use1, messages));
            }
            long broker1 = brokerCpuNanos();
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates(), cpu,
                    use[0] / 1e3 / messages, (double) use[1] / messages,
                    broker0 < 0 || broker1 < 0 ? Double.NaN : (broker1 - broker0) / 1e3 / messages);
        } finally {
            raw.close();
            AmqpBench.delete(o, raw.names());
        }
    }
}
