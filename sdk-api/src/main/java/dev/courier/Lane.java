package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import org.slf4j.Logger;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs the pipeline for one subscription with at most {@code concurrency} messages in progress.
 * A message holds its slot until its outcome (including scheduled retries), not only while a thread
 * runs it. Work that finishes synchronously keeps the same thread for the next message.
 *
 * <p>No delivery is ever left unsettled here: a pipeline that throws (ERROR) or whose outcome
 * fails (WARN), and work the executor refuses (ERROR), give the message back with
 * {@code reject(true)} — a no-op when the pipeline had already settled it. Internal.
 */
final class Lane {
    private final Executor executor;
    private final int concurrency;
    private final Function<Delivery, CompletableFuture<?>> pipeline;
    private final Logger log;
    private final String name;
    private final ConcurrentLinkedQueue<Delivery> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile CompletableFuture<Void> idle;

    /** {@code name} says whose lane this is in log lines, e.g. {@code v1.order.placed of 'shipping'}. */
    Lane(Executor executor, int concurrency, Function<Delivery, CompletableFuture<?>> pipeline, Logger log, String name) {
        this.executor = executor;
        this.concurrency = concurrency;
        this.pipeline = pipeline;
        this.log = log;
        this.name = name;
    }

    void submit(Delivery d) {
        outstanding.incrementAndGet();
        queue.add(d);
        tryStart();
    }

    private void tryStart() {
        if (running.get() >= concurrency) {
            return; // the usual case under load: a running drain takes it (checked before the queue, which costs more)
        }
        while (!queue.isEmpty()) {
            int r = running.get();
            if (r >= concurrency) {
                return;
            }
            if (!running.compareAndSet(r, r + 1)) {
                continue;
            }
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                running.decrementAndGet();
                for (Delivery d; (d = queue.poll()) != null; ) {
                    log.error("the handler executor rejected work for {} ({}); message {} is given back to the broker",
                            name, e.toString(), idOf(d));
                    giveBack(d);
                    done();
                }
                return;
            }
        }
    }

    private void drain() {
        while (true) {
            Delivery d = queue.poll();
            if (d == null) {
                running.decrementAndGet();
                if (!queue.isEmpty()) {
                    tryStart();
                }
                return;
            }
            CompletableFuture<?> f;
            try {
                f = pipeline.apply(d);
            } catch (RuntimeException e) {
                log.error("the pipeline of {} failed on message {}; it is given back to the broker", name, idOf(d), e);
                giveBack(d);
                done();
                continue;
            }
            if (!f.isDone()) {
                f.whenComplete((x, e) -> {
                    if (e != null) {
                        failed(d, e);
                    }
                    done();
                    running.decrementAndGet();
                    tryStart();
                });
                return;
            }
            if (f.isCompletedExceptionally()) {
                f.whenComplete((x, e) -> failed(d, e));
            }
            done();
        }
    }

    private void failed(Delivery d, Throwable e) {
        log.warn("the outcome of message {} on {} failed ({}); it is given back to the broker"
                + " (a no-op if it was already settled)", idOf(d), name, Inbound.unwrap(e).toString());
        giveBack(d);
    }

    private void giveBack(Delivery d) {
        try {
            d.reject(true);
        } catch (RuntimeException e) {
            log.error("could not give message {} of {} back ({}); the broker delivers it again when the consumer"
                    + " goes away", idOf(d), name, e.toString());
        }
    }

    private void done() {
        if (outstanding.decrementAndGet() == 0) {
            CompletableFuture<Void> waiter = idle;
            if (waiter != null) {
                waiter.complete(null);
            }
        }
    }

    private static String idOf(Delivery d) {
        try {
            return d.headers().get(Headers.ID);
        } catch (RuntimeException e) {
            return "(no readable id)";
        }
    }

    /** Removes deliveries not started yet, so close() can give them back unhandled. */
    List<Delivery> drainUnstarted() {
        List<Delivery> out = new ArrayList<>();
        for (Delivery d; (d = queue.poll()) != null; ) {
            out.add(d);
            done();
        }
        return out;
    }

    /** Completes when no message is queued or in progress (close() waits on it with its deadline). */
    CompletableFuture<Void> idle() {
        CompletableFuture<Void> waiter = idle;
        if (waiter == null) {
            waiter = new CompletableFuture<>();
            idle = waiter;
        }
        if (outstanding.get() == 0) {
            waiter.complete(null); // a done() that ran before idle was set did not see it
        }
        return waiter;
    }

    /** Messages queued or in progress. */
    int outstanding() {
        return outstanding.get();
    }
}
