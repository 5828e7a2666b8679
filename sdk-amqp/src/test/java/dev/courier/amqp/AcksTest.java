package dev.courier.amqp;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Ack coalescing ({@link Acks}) against a model of RabbitMQ's channel: it keeps the unacked deliveries,
 * takes a multiple ack as "every unacked tag up to this one" and fails (as RabbitMQ closes the channel
 * with PRECONDITION_FAILED) on an ack or reject of a tag it does not hold. Every settle must reach it
 * exactly as the bus meant it: an ack of N never acks an earlier unsettled M, a reject is a reject.
 */
class AcksTest {

    /** What the bus did with each tag: "ack", "requeue", "drop". */
    private final Map<Long, String> meant = Collections.synchronizedMap(new TreeMap<>());

    /** RabbitMQ's side of one channel. */
    private final class Broker implements Acks.Out {
        final TreeMap<Long, String> unacked = new TreeMap<>();
        final Map<Long, String> outcome = new TreeMap<>();
        final List<String> frames = new ArrayList<>();
        String error;

        synchronized void deliver(long tag) {
            unacked.put(tag, "");
        }

        @Override
        public synchronized void ack(long tag, boolean multiple) {
            frames.add((multiple ? "ack*" : "ack") + tag);
            if (!unacked.containsKey(tag)) {
                error = "PRECONDITION_FAILED - unknown delivery tag " + tag + " (multiple=" + multiple + ")";
                return;
            }
            List<Long> taken = multiple ? new ArrayList<>(unacked.headMap(tag, true).keySet()) : List.of(tag);
            for (long t : taken) {
                unacked.remove(t);
                String m = meant.get(t);
                if (!"ack".equals(m)) {
                    error = "tag " + t + " acked by " + (multiple ? "ack*" : "ack") + tag + " but the bus "
                            + (m == null ? "had not settled it" : "meant " + m);
                }
                outcome.put(t, "ack");
            }
        }

        @Override
        public synchronized void reject(long tag, boolean requeue) {
            frames.add((requeue ? "requeue" : "drop") + tag);
            if (unacked.remove(tag) == null) {
                error = "PRECONDITION_FAILED - unknown delivery tag " + tag + " (reject)";
                return;
            }
            outcome.put(tag, requeue ? "requeue" : "drop");
        }
    }

    /** A timer whose tasks the test runs by hand. */
    private static final class ManualTimer implements Acks.Timer {
        final List<Runnable> tasks = new ArrayList<>();
        final List<Long> delays = new ArrayList<>();

        @Override
        public synchronized void after(long nanos, Runnable task) {
            tasks.add(task);
            delays.add(nanos);
        }

        void fire() {
            List<Runnable> due;
            synchronized (this) {
                due = new ArrayList<>(tasks);
                tasks.clear();
            }
            due.forEach(Runnable::run);
        }
    }

    private final Broker broker = new Broker();
    private final ManualTimer timer = new ManualTimer();
    private final AtomicLong now = new AtomicLong(1_000_000_000L);

    private Acks acks(int batch) {
        return new Acks(broker, timer, batch, now::get);
    }

    private void deliver(Acks a, long from, long to) {
        for (long t = from; t <= to; t++) {
            broker.deliver(t);
            a.delivered(t);
        }
    }

    private void ack(Acks a, long tag) {
        meant.put(tag, "ack");
        a.ack(tag);
    }

    private void reject(Acks a, long tag, boolean requeue) {
        meant.put(tag, requeue ? "requeue" : "drop");
        a.reject(tag, requeue);
    }

    @Test
    void acksOfContiguousDeliveriesGoOutAsOneMultipleAck() {
        Acks a = acks(64);
        deliver(a, 1, 5);
        for (long t = 1; t <= 4; t++) {
            ack(a, t);
        }
        assertEquals(List.of(), broker.frames, "held while another delivery of the channel is unsettled");
        ack(a, 5);
        assertEquals(List.of("ack*5"), broker.frames, "the last settle sends the run at once");
        assertNull(broker.error);
        assertEquals(Map.of(1L, "ack", 2L, "ack", 3L, "ack", 4L, "ack", 5L, "ack"), broker.outcome);
    }

    @Test
    void anOutOfOrderAckNeverAcksAnEarlierUnsettledDelivery() {
        Acks a = acks(64);
        deliver(a, 1, 4);
        ack(a, 3);
        ack(a, 2);
        timer.fire(); // 1 is still being handled: 2 and 3 go out alone, never as a multiple ack over 1
        assertNull(broker.error, broker.error);
        assertEquals(List.of("ack2", "ack3"), broker.frames);
        assertTrue(broker.unacked.containsKey(1L), "delivery 1 is not settled and must stay unacked");
        ack(a, 4);
        timer.fire();
        assertTrue(broker.unacked.containsKey(1L), "an ack of 4 must not ack 1: " + broker.frames);
        ack(a, 1);
        assertNull(broker.error, broker.error);
        assertEquals(Map.of(1L, "ack", 2L, "ack", 3L, "ack", 4L, "ack"), broker.outcome);
        assertTrue(broker.unacked.isEmpty());
    }

    @Test
    void aRejectBetweenAcksStaysARejectOfThatMessageAlone() {
        Acks a = acks(64);
        deliver(a, 1, 6);
        ack(a, 1);
        reject(a, 2, true);
        ack(a, 3);
        reject(a, 4, false);
        ack(a, 5);
        // each reject goes out at once, alone, and takes the acks settled before it along (a run ends at it)
        assertEquals(List.of("requeue2", "ack1", "drop4", "ack3"), broker.frames);
        ack(a, 6);
        assertNull(broker.error, broker.error);
        assertEquals(List.of("requeue2", "ack1", "drop4", "ack3", "ack*6"), broker.frames);
        assertEquals(Map.of(1L, "ack", 2L, "requeue", 3L, "ack", 4L, "drop", 5L, "ack", 6L, "ack"), broker.outcome);
    }

    @Test
    void aHeldAckGoesOutWhenItsTimerFiresOrAcksKeepComingPastTheHold() {
        Acks a = acks(64);
        deliver(a, 1, 10);
        ack(a, 1);
        assertEquals(1, timer.tasks.size(), "holding an ack arms the timer");
        assertEquals(Acks.TIMER_NANOS, timer.delays.get(0));
        assertTrue(Acks.TIMER_NANOS <= 5_000_000L, "the bound on the delay stays small");
        timer.fire();
        assertEquals(List.of("ack1"), broker.frames);
        ack(a, 2);
        now.addAndGet(Acks.HOLD_NANOS);
        ack(a, 3); // the oldest waiting ack is as old as the hold: out now, without the timer
        assertEquals(List.of("ack1", "ack*3"), broker.frames);
        timer.fire(); // nothing left: nothing sent
        assertEquals(List.of("ack1", "ack*3"), broker.frames);
        assertEquals(0, a.waiting());
        assertNull(broker.error);
    }

    @Test
    void aFullBatchGoesOutAtOnce() {
        Acks a = acks(Acks.batchFor(16)); // 4
        assertEquals(4, Acks.batchFor(16));
        assertEquals(64, Acks.batchFor(1000));
        assertEquals(1, Acks.batchFor(1));
        deliver(a, 1, 16);
        ack(a, 1);
        ack(a, 2);
        ack(a, 3);
        assertEquals(List.of(), broker.frames);
        ack(a, 4);
        assertEquals(List.of("ack*4"), broker.frames);
        assertNull(broker.error);
    }

    @Test
    void hurryAndDrainSendEverythingThatWaitsAndHoldNothingAfter() {
        Acks a = acks(64);
        deliver(a, 1, 5);
        ack(a, 2);
        ack(a, 3);
        a.hurry();
        assertEquals(List.of("ack2", "ack3"), broker.frames);
        ack(a, 5);
        assertEquals(List.of("ack2", "ack3", "ack5"), broker.frames, "nothing is held once closing");
        ack(a, 1);
        ack(a, 4);
        a.drain();
        assertNull(broker.error, broker.error);
        assertTrue(broker.unacked.isEmpty());
    }

    @Test
    void aBrokenChannelFailsQuietly() {
        Acks a = new Acks(new Acks.Out() {
            @Override
            public void ack(long tag, boolean multiple) throws IOException {
                throw new IOException("channel closed");
            }

            @Override
            public void reject(long tag, boolean requeue) throws IOException {
                throw new IOException("channel closed");
            }
        }, timer, 64, now::get);
        a.delivered(1);
        a.delivered(2);
        a.reject(1, true);
        a.ack(2);
        a.drain();
        assertEquals(0, a.waiting());
    }

    @Test
    void manyDeliveriesSettledInRandomOrderReachTheBrokerExactlyAsMeant() {
        for (int seed = 0; seed < 200; seed++) {
            meant.clear();
            Broker b = new Broker();
            ManualTimer tm = new ManualTimer();
            Random r = new Random(seed);
            Acks a = new Acks(b, tm, 1 + r.nextInt(80), now::get);
            int n = 1 + r.nextInt(300);
            List<Long> open = new ArrayList<>();
            long tag = 0;
            while (tag < n || !open.isEmpty()) {
                int what = r.nextInt(10);
                if (tag < n && (open.isEmpty() || what < 4)) {
                    tag++;
                    b.deliver(tag);
                    a.delivered(tag);
                    open.add(tag);
                } else if (what == 4) {
                    tm.fire();
                } else if (what == 5) {
                    now.addAndGet(r.nextInt(2) * Acks.HOLD_NANOS);
                } else if (!open.isEmpty()) {
                    long t = open.remove(r.nextInt(Math.min(open.size(), 1 + r.nextInt(8))));
                    int how = r.nextInt(12);
                    meant.put(t, how == 0 ? "requeue" : how == 1 ? "drop" : "ack");
                    if (how < 2) {
                        a.reject(t, how == 0);
                    } else {
                        a.ack(t);
                    }
                }
                assertNull(b.error, "seed " + seed + ": " + b.error + " after " + b.frames);
            }
            tm.fire();
            assertNull(b.error, "seed " + seed + ": " + b.error);
            assertTrue(b.unacked.isEmpty(), "seed " + seed + ": left unacked " + b.unacked.keySet() + " " + b.frames);
            assertEquals(new TreeMap<>(meant), b.outcome, "seed " + seed);
        }
    }

    @Test
    void concurrentSettlesReachTheBrokerExactlyAsMeant() throws Exception {
        for (int round = 0; round < 20; round++) {
            meant.clear();
            Broker b = new Broker();
            ManualTimer tm = new ManualTimer();
            Acks a = new Acks(b, tm, 16, System::nanoTime);
            int n = 4000;
            for (long t = 1; t <= n; t++) {
                b.deliver(t);
                a.delivered(t);
            }
            int threads = 4;
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int k = 0; k < threads; k++) {
                int me = k;
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (long t = 1 + me; t <= n; t += threads) {
                        if (t % 97 == 0) {
                            meant.put(t, "requeue");
                            a.reject(t, true);
                        } else {
                            meant.put(t, "ack");
                            a.ack(t);
                        }
                        if (t % 50 == 0) {
                            tm.fire();
                        }
                    }
                });
                th.start();
                ts.add(th);
            }
            go.countDown();
            for (Thread th : ts) {
                th.join(30_000);
            }
            tm.fire();
            assertNull(b.error, b.error);
            assertTrue(b.unacked.isEmpty(), "left unacked " + b.unacked.keySet());
            assertEquals(new TreeMap<>(meant), b.outcome);
            assertNotNull(b.frames);
            assertTrue(b.frames.size() < n, "coalesced: " + b.frames.size() + " frames for " + n + " settles");
        }
    }
}
