package dev.courier.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/** Runs a purge every interval on one daemon thread; a failed run is logged and retried next time. Internal. */
final class Purger implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Purger.class);

    private final ScheduledExecutorService scheduler;

    Purger(String threadName, Duration interval, IntSupplier purge) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                purge.getAsInt();
            } catch (RuntimeException e) {
                log.warn("{}: purge failed, retried in {}: {}", threadName, interval, e.toString());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
