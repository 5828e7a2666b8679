package dev.courier.test;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits on a condition with a deadline — never a bare sleep as synchronisation. Every wait fails with
 * an {@link AssertionError} that says what was missing, so a test can fail, and fails in bounded time.
 * The condition is polled every 10 ms on the calling thread.
 */
public final class Await {
    private static final long POLL_MILLIS = 10;

    private Await() {
    }

    /**
     * Waits until {@code condition} is true.
     *
     * @param patience   how long to wait at most
     * @param condition  polled on the calling thread
     * @param whatFailed the failure message, built only when the wait fails
     * @throws AssertionError when the condition is still false after {@code patience}, or the
     *                        calling thread is interrupted
     */
    public static void until(Duration patience, BooleanSupplier condition, Supplier<String> whatFailed) {
        Objects.requireNonNull(condition, "condition");
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + patience + ": " + whatFailed.get());
            }
            pause("waiting");
        }
    }

    /**
     * Asserts that {@code condition} stays true for the whole {@code period} — after a positive wait,
     * to show that nothing more happens (no second delivery, no dead letter).
     *
     * @param period     how long the condition must hold
     * @param condition  polled on the calling thread
     * @param whatFailed the failure message, built only when the condition turns false
     * @throws AssertionError as soon as the condition is false
     */
    public static void stays(Duration period, BooleanSupplier condition, Supplier<String> whatFailed) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!condition.getAsBoolean()) {
                throw new AssertionError(whatFailed.get());
            }
            pause("checking that a condition stays true");
        }
        if (!condition.getAsBoolean()) {
            throw new AssertionError(whatFailed.get());
        }
    }

    /**
     * Waits up to {@code period} for {@code condition} and says whether it came true — for a wait whose
     * end is allowed not to come, never as a pass/fail check.
     *
     * @param period    how long to wait at most
     * @param condition polled on the calling thread
     * @return whether the condition came true in time
     */
    public static boolean upTo(Duration period, BooleanSupplier condition) {
        long deadline = System.nanoTime() + period.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            pause("waiting");
        }
        return true;
    }

    private static void pause(String what) {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + what, e);
        }
    }
}
