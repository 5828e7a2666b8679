package dev.courier.bench.amqp;

import dev.courier.Command;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.RetryPolicy;
import dev.courier.amqp.AmqpConfig;
import dev.courier.amqp.AmqpTransport;
import dev.courier.bench.Options;
import dev.courier.bench.Probe;
import dev.courier.bench.Scenario;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request/reply as the number of concurrent requesters grows (1, 10, 100, 1,000): a closed loop that
 * keeps C requests outstanding from one requester bus to one responder bus (one issuing thread and
 * a semaphore of C permits, so the benchmark adds no thread per requester), on memory: or RabbitMQ.
 * Per step: latency p50/p99 from the request call to the typed reply, requests per second, errors,
 * and live threads (the buses' own, the peak during the step, and what is left after close).
 */
public final class RequestReplyScale implements Scenario {

    /** The request. @param seq its number */
    @MessageName("v1.growth.ask")
    public record Ask(long seq) implements Command {
    }

    /** The reply. @param seq the request's number */
    public record Answer(long seq) {
    }

    @Override
    public String name() {
        return "request-reply-scale";
    }

    @Override
    public String description() {
        return "request/reply with C concurrent requesters: p50/p99, req/s, live threads; --transport memory:|amqp[://...]"
                + " --requesters 1,10,100,1000 --requests N --concurrency 4";
    }

    @Override
    public List<Map<String, Object>> run(Options o) throws Exception {
        String transport = o.get("transport", "memory:");
        boolean amqp = transport.startsWith("amqp");
        long[] steps = Probe.steps(o.get("requesters", "1,10,100,1000"), false);
        int requests = o.getInt("requests", amqp ? 5_000 : 20_000);
        step(o, transport, 10, Math.min(requests, 2_000), true); // warm-up
        List<Map<String, Object>> rows = new ArrayList<>();
        for (long c : steps) {
            rows.add(step(o, transport, (int) c, Math.max(requests, (int) c * 5), false));
        }
        Probe.table(rows, "transport", "requesters", "requests", "p50_us", "p99_us", "max_us", "requests_per_s", "errors",
                "bus_threads", "peak_threads", "threads_left_after_close");
        return rows;
    }

    private Map<String, Object> step(Options o, String transport, int requesters, int requests, boolean warmUp)
            throws Exception {
        boolean amqp = transport.startsWith("amqp");
        String ns = AmqpBench.namespace("rr" + requesters);
        String uri = transport.contains("://") ? transport : AmqpBench.uri(o);
        String memoryName = "memory:rr" + ns.replace(".", "");
        Duration timeout = o.getDuration("timeout", Duration.ofSeconds(30));
        int threads0 = Probe.threads();
        MessageBus responder = null;
        MessageBus requester = null;
        Map<String, Object> row = new LinkedHashMap<>();
        try {
            MessageBus.Builder rb = MessageBus.builder("rr-responder").retryPolicy(RetryPolicy.none())
                    .concurrency(o.getInt("concurrency", MessageBus.Builder.DEFAULT_CONCURRENCY))
                    .onCommand(Ask.class, (a, ctx) -> ctx.reply(new Answer(a.seq())));
            MessageBus.Builder qb = MessageBus.builder("rr-requester").produces(Ask.class)
                    .publishTimeout(Duration.ofSeconds(60));
            if (amqp) {
                rb.transport(amqpTransport(uri, ns));
                qb.transport(amqpTransport(uri, ns));
            } else {
                rb.transport(memoryName);
                qb.transport(memoryName);
            }
            responder = rb.build().start();
            requester = qb.build().start();
            int threads1 = Probe.threads();

            dev.courier.bench.Stats lat = new dev.courier.bench.Stats();
            AtomicLong errors = new AtomicLong();
            CountDownLatch done = new CountDownLatch(requests);
            Semaphore outstanding = new Semaphore(requesters);
            long t0;
            long peakThreads;
            try (Probe.Peak peak = new Probe.Peak()) {
                t0 = System.nanoTime();
                for (int i = 0; i < requests; i++) {
                    outstanding.acquire();
                    final int idx = i;
                    long s = System.nanoTime();
                    requester.request(new Ask(i), Answer.class, timeout).whenComplete((r, e) -> {
                        lat.add(System.nanoTime() - s);
                        if (e != null || r.seq() != idx) {
                            errors.incrementAndGet();
                        }
                        outstanding.release();
                        done.countDown();
                    });
                }
                done.await(timeout.toMillis() + 60_000, TimeUnit.MILLISECONDS);
                peakThreads = peak.threads() - 1; // the sampler itself
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            requester.close();
            responder.close();
            requester = null;
            responder = null;
            int threads2 = Probe.threadsSettle(threads0, 5_000);
            row.put("scenario", name());
            row.put("transport", amqp ? "amqp" : "memory");
            row.put("requesters", requesters);
            row.put("requests", requests);
            row.put("p50_us", lat.percentileMicros(50));
            row.put("p99_us", lat.percentileMicros(99));
            row.put("max_us", lat.maxMicros());
            row.put("requests_per_s", requests / secs);
            row.put("errors", errors.get() + done.getCount());
            row.put("threads_before", threads0);
            row.put("bus_threads", threads1 - threads0);
            row.put("peak_threads", peakThreads - threads0);
            row.put("threads_left_after_close", threads2 - threads0);
        } finally {
            if (requester != null) {
                requester.close();
            }
            if (responder != null) {
                responder.close();
            }
            if (amqp) {
                row.put("left_on_broker", Rabbitctl.cleanUp(o, ns + ".", List.of(ns + ".courier.events",
                        ns + ".courier.commands", ns + ".courier.command.v1.growth.ask",
                        ns + ".courier.dead-letter.rr-responder", ns + ".courier.dead-letter.rr-requester")));
            }
        }
        System.err.println((warmUp ? "warm-up: " : "") + dev.courier.bench.Json.line(row));
        return row;
    }

    private static AmqpTransport amqpTransport(String uri, String ns) {
        return AmqpTransport.of(AmqpConfig.builder().uri(uri).namespace(ns).build());
    }
}
