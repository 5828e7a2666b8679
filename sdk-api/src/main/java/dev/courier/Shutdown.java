package dev.courier;

import org.slf4j.Logger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The waiting part of close(): give back what has not started, wait for what is in progress until
 * the close timeout (one wait on the lanes' idle futures, no polling), then interrupt the handlers
 * still running and stop the bus's own executors without waiting for them. Internal.
 */
final class Shutdown {
    private Shutdown() {
    }

    /**
     * Waits at most {@code closeTimeout} for the inbounds' messages in progress; returns true when all
     * finished, false when some were cut off (their handlers are interrupted, their messages not acked).
     */
    static boolean drain(String service, List<Inbound> inbounds, Duration closeTimeout, HandlerThreads handlers,
                         Logger log) {
        long deadline = System.nanoTime() + closeTimeout.toNanos();
        CompletableFuture<?>[] idle = new CompletableFuture<?>[inbounds.size()];
        for (int i = 0; i < idle.length; i++) {
            inbounds.get(i).returnUnstarted();
            idle[i] = inbounds.get(i).idle();
        }
        try {
            CompletableFuture.allOf(idle).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            // some handlers overran: cut them off below
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            return true; // idle futures never fail
        }
        for (Inbound in : inbounds) {
            if (in.outstanding() > 0) {
                log.warn("bus '{}': {} message(s) of {} still in progress after the close timeout {}; they are not"
                        + " acked and the broker will deliver them again", service, in.outstanding(), in.typeName(),
                        closeTimeout);
            }
        }
        int interrupted = handlers.interruptAll();
        if (interrupted > 0) {
            log.warn("bus '{}': interrupted {} handler(s) still running at the close timeout; whatever they do from"
                    + " now on is neither acked nor published", service, interrupted);
        }
        return false;
    }

    /** Stops the executors the bus created; interrupts their threads when handlers were cut off. Never waits. */
    static void stop(List<ExecutorService> owned, boolean cutOff) {
        for (ExecutorService e : owned) {
            if (cutOff) {
                e.shutdownNow();
            } else {
                e.shutdown();
            }
        }
    }
}
