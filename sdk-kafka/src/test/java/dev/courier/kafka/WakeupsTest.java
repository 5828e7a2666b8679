package dev.courier.kafka;

import org.apache.kafka.common.errors.WakeupException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A consumer.wakeup() from another thread (a close, a settle handed to the polling thread) must not cut short
 * the consumer calls of the rebalance listener: a committed() woken in onPartitionsAssigned left new
 * partitions without their start at subscribe time (they read the topic's history) and lost the redelivered mark.
 */
class WakeupsTest {

    @Test
    void aWokenCallIsRetriedAndTheWakeupPassedOnAfterwards() {
        AtomicInteger calls = new AtomicInteger();
        AtomicInteger rewoken = new AtomicInteger();
        String result = Wakeups.uninterrupted(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new WakeupException();
            }
            return "committed";
        }, rewoken::incrementAndGet, () -> false);
        assertEquals("committed", result);
        assertEquals(2, calls.get(), "retried once");
        assertEquals(1, rewoken.get(), "the wakeup goes on to the next poll");
    }

    @Test
    void anUnwokenCallDoesNotWakeThePollLater() {
        AtomicInteger rewoken = new AtomicInteger();
        assertEquals(7, Wakeups.uninterrupted(() -> 7, rewoken::incrementAndGet, () -> false));
        assertEquals(0, rewoken.get());
    }

    @Test
    void aWakeupWhileStoppingIsNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        assertThrows(WakeupException.class, () -> Wakeups.uninterrupted(() -> {
            calls.incrementAndGet();
            throw new WakeupException();
        }, () -> { }, () -> true));
        assertEquals(1, calls.get());
    }
}
