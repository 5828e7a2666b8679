package dev.courier.kit;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits on a condition with a deadline; never a bare sleep as synchronisation. */
public final class Await {
    private Await() {
    }

    /**
     * Waits, polling every 10 ms, until {@code condition} is true.
     *
     * @param patience the longest wait
     * @param condition checked on the calling thread
     * @param whatFailed describes what was there when the wait fails
     * @throws AssertionError when {@code condition} is not true within {@code patience}, or the thread is interrupted
     */
    public static void until(Duration patience, BooleanSupplier condition, Supplier<String> whatFailed) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + patience + ": " + whatFailed.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
    }

    /**
     * Asserts that {@code condition} stays true for {@code period} (used after the positive wait).
     *
     * @param period how long it must stay true
     * @param condition checked every 10 ms on the calling thread
     * @param whatFailed the failure message
     * @throws AssertionError when {@code condition} turns false within {@code period}
     */
    public static void stays(Duration period, BooleanSupplier condition, Supplier<String> whatFailed) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < end) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError(whatFailed.get());
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while checking that a condition stays true", e);
            }
        }
    }

    /**
     * Waits up to {@code period} for {@code condition} and says whether it came true — for a wait whose
     * end is allowed not to come (a transport may block instead), never as a pass/fail check.
     *
     * @param period the longest wait
     * @param condition checked every 10 ms on the calling thread
     * @return true when {@code condition} came true within {@code period}
     */
    public static boolean upTo(Duration period, BooleanSupplier condition) {
        long deadline = System.nanoTime() + period.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
        return true;
    }
}
