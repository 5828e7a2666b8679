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
    record Result(double msgsPerSecond, Stats latency, long lost, long duplicates, double cpuMicrosPerMsg) {
        Result(double msgsPerSecond, Stats latency, long lost, long duplicates) {
            this(msgsPerSecond, latency, lost, duplicates, Double.NaN);
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
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates(), cpu);
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
            return new Result(messages / (took / 1e9), tally.stats(), tally.lost(), tally.duplicates(), cpu);
        } finally {
            raw.close();
            AmqpBench.delete(o, raw.names());
        }
    }
}
