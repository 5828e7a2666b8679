package dev.courier.kafka;

import org.apache.kafka.common.errors.WakeupException;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Runs a consumer call that a concurrent consumer.wakeup() must not cut short; the wakeup goes on afterwards. */
final class Wakeups {
    private Wakeups() {
    }

    /**
     * Runs {@code call}, again after each {@link WakeupException} unless {@code stopping}; a wakeup taken meanwhile
     * is passed on through {@code wakeAgain} so the next poll still returns at once.
     *
     * @param call      the consumer call (committed, commitSync, offsetsForTimes, ...)
     * @param wakeAgain wakes the consumer again (consumer::wakeup)
     * @param stopping  whether the subscription stops: then a wakeup is thrown as before
     * @param <T>       the call's result
     * @return the call's result
     */
    static <T> T uninterrupted(Supplier<T> call, Runnable wakeAgain, BooleanSupplier stopping) {
        boolean woken = false;
        try {
            while (true) {
                try {
                    return call.get();
                } catch (WakeupException e) {
                    woken = true;
                    if (stopping.getAsBoolean()) {
                        throw e;
                    }
                }
            }
        } finally {
            if (woken) {
                wakeAgain.run();
            }
        }
    }
}
