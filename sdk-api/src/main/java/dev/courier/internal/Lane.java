package dev.courier.internal;

import dev.courier.spi.Delivery;

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
 * runs it. Work that finishes synchronously keeps the same thread for the next message. Internal.
 */
final class Lane {
    private final Executor executor;
    private final int concurrency;
    private final Function<Delivery, CompletableFuture<?>> pipeline;
    private final ConcurrentLinkedQueue<Delivery> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger outstanding = new AtomicInteger();

    Lane(Executor executor, int concurrency, Function<Delivery, CompletableFuture<?>> pipeline) {
        this.executor = executor;
        this.concurrency = concurrency;
        this.pipeline = pipeline;
    }

    void submit(Delivery d) {
        outstanding.incrementAndGet();
        queue.add(d);
        tryStart();
    }

    private void tryStart() {
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
                f = CompletableFuture.failedFuture(e);
            }
            if (!f.isDone()) {
                f.whenComplete((x, e) -> {
                    outstanding.decrementAndGet();
                    running.decrementAndGet();
                    tryStart();
                });
                return;
            }
            outstanding.decrementAndGet();
        }
    }

    /** Removes deliveries not started yet, so close() can give them back unhandled. */
    List<Delivery> drainUnstarted() {
        List<Delivery> out = new ArrayList<>();
        for (Delivery d; (d = queue.poll()) != null; ) {
            outstanding.decrementAndGet();
            out.add(d);
        }
        return out;
    }

    /** Messages queued or in progress. */
    int outstanding() {
        return outstanding.get();
    }
}
