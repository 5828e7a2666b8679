package dev.courier.bench.amqp;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.Options;
import dev.courier.bench.Probe;
import dev.courier.bench.Scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How cost grows with the topology on RabbitMQ: N services (1, 10, 100), each one MessageBus with its
 * own service name subscribing to T event types (10). Per step: the queues, exchanges and bindings on
 * the broker under the run's prefix (rabbitmqctl), each bus's start time (median/max), heap and
 * threads per bus, then publish→handle throughput with that topology in place (every event fans out
 * to the N services), the close time and the threads left after close. Everything the run declared is
 * deleted at the end of each step.
 */
public final class AmqpTopology implements Scenario {

    @Override
    public String name() {
        return "amqp-topology";
    }

    @Override
    public String description() {
        return "N services x T event types on RabbitMQ: queues, bindings, start time, heap and threads per bus,"
                + " fan-out throughput; --services 1,10,100 --types 10 --deliveries 30000 --rabbitmqctl rabbitmqctl|none";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        long[] steps = Probe.steps(o.get("services", "1,10,100"), false);
        int types = Math.max(1, Math.min(TopologyEvents.TYPES.size(), o.getInt("types", 10)));
        int deliveries = o.getInt("deliveries", 30_000);
        int window = o.getInt("window", 1_000);
        List<Map<String, Object>> rows = new ArrayList<>();
        step(o, 1, types, 1_000, window, true); // warm-up: classes loaded, JIT, one connection made
        for (long n : steps) {
            rows.add(step(o, (int) n, types, deliveries, window, false));
        }
        Probe.table(rows, "services", "queues", "bindings", "start_ms_p50", "start_ms_max", "start_total_ms",
                "heap_kib_per_bus", "threads_per_bus", "publish_msgs_per_s", "deliveries_per_s", "close_ms_total",
                "threads_left_after_close", "left_on_broker");
        return rows;
    }

    private Map<String, Object> step(Options o, int services, int types, int deliveries, int window, boolean warmUp)
            throws Exception {
        String ns = AmqpBench.namespace("topo" + services);
        int messages = Math.max(types, deliveries / services);
        long expected = (long) messages * services;
        AtomicLong handled = new AtomicLong();
        CompletableFuture<Void> all = new CompletableFuture<>();
        Runnable onEach = () -> {
            if (handled.incrementAndGet() == expected) {
                all.complete(null);
            }
        };
        int threads0 = Probe.threads();
        long heap0 = Probe.heapAfterGc();
        List<MessageBus> buses = new ArrayList<>();
        List<Double> startMs = new ArrayList<>();
        MessageBus pub = null;
        Map<String, Object> row = new LinkedHashMap<>();
        try {
            long tAll = System.nanoTime();
            for (int s = 0; s < services; s++) {
                MessageBus.Builder b = MessageBus.builder("svc-" + s).transport(AmqpBench.transport(o, ns, window))
                        .retryPolicy(RetryPolicy.none());
                for (int t = 0; t < types; t++) {
                    TopologyEvents.on(b, TopologyEvents.TYPES.get(t), onEach);
                }
                MessageBus bus = b.build();
                long t0 = System.nanoTime();
                bus.start();
                startMs.add((System.nanoTime() - t0) / 1e6);
                buses.add(bus);
            }
            double startTotal = (System.nanoTime() - tAll) / 1e6;
            long heap1 = Probe.heapAfterGc();
            int threads1 = Probe.threads();
            Map<String, Integer> names = services == 1 ? Probe.threadNames() : null;
            Rabbitctl.Listing l = Rabbitctl.list(o, ns + ".");

            MessageBus.Builder pb = MessageBus.builder("growth-pub").transport(AmqpBench.transport(o, ns, window))
                    .publishTimeout(Duration.ofSeconds(60));
            for (int t = 0; t < types; t++) {
                pb.produces(TopologyEvents.TYPES.get(t));
            }
            pub = pb.build().start();
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> confirms = new ArrayList<>(messages);
            for (int i = 0; i < messages; i++) {
                confirms.add(pub.publish(TopologyEvents.MAKERS.get(i % types).apply(i)));
            }
            CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])).get(300, TimeUnit.SECONDS);
            double pubSecs = (System.nanoTime() - t0) / 1e9;
            try {
                all.get(300, TimeUnit.SECONDS);
            } catch (Exception timeout) {
                // lost is reported
            }
            double secs = (System.nanoTime() - t0) / 1e9;

            long tc = System.nanoTime();
            pub.close();
            for (MessageBus bus : buses) {
                bus.close();
            }
            double closeMs = (System.nanoTime() - tc) / 1e6;
            buses.clear();
            pub = null;
            int threads2 = Probe.threadsSettle(threads0, 5_000);

            startMs.sort(null);
            row.put("scenario", name());
            row.put("transport", "amqp");
            row.put("services", services);
            row.put("types", types);
            row.put("queues", l == null ? null : l.queues().size());
            row.put("exchanges", l == null ? null : l.exchanges().size());
            row.put("bindings", l == null ? null : l.bindings().size());
            row.put("queue_kinds", l == null ? null : kinds(l.queues()));
            row.put("start_ms_p50", Probe.median(startMs));
            row.put("start_ms_max", startMs.get(startMs.size() - 1));
            row.put("start_total_ms", startTotal);
            row.put("heap_kib_per_bus", (heap1 - heap0) / 1024.0 / services);
            row.put("threads_per_bus", (threads1 - threads0) / (double) services);
            row.put("messages", messages);
            row.put("deliveries", handled.get());
            row.put("publish_msgs_per_s", messages / pubSecs);
            row.put("deliveries_per_s", handled.get() / secs);
            row.put("lost", expected - Math.min(expected, handled.get()));
            row.put("close_ms_total", closeMs);
            row.put("threads_left_after_close", threads2 - threads0);
            if (names != null) {
                row.put("thread_names", names.toString());
            }
        } finally {
            if (pub != null) {
                pub.close();
            }
            for (MessageBus bus : buses) {
                bus.close();
            }
            int left = Rabbitctl.cleanUp(o, ns + ".", List.of(ns + ".courier.events", ns + ".courier.commands"));
            row.put("left_on_broker", left);
        }
        System.err.println((warmUp ? "warm-up: " : "") + dev.courier.bench.Json.line(row));
        return row;
    }

    /** Queues by kind: event queues, dead-letter, reply, delay, command. */
    private static String kinds(List<String> queues) {
        Map<String, Integer> k = new java.util.TreeMap<>();
        for (String q : queues) {
            String kind = q.contains(".courier.dead-letter.") ? "dead-letter" : q.contains(".courier.reply.") ? "reply"
                    : q.contains(".courier.delay.") ? "delay" : q.contains(".courier.command.") ? "command" : "event";
            k.merge(kind, 1, Integer::sum);
        }
        return k.toString();
    }
}
