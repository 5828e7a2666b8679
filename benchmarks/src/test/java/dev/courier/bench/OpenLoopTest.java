package dev.courier.bench;

import dev.courier.bench.memory.BenchPayload;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenLoopTest {

    /** Delivers synchronously, but the 100th send stalls for 50 ms, as a full window or a GC pause would. */
    private static OpenLoop.Target stallingOnce(OpenLoop.Receiver receiver) {
        return new OpenLoop.Target() {
            int sent;

            @Override
            public void send(BenchPayload payload) {
                if (sent++ == 100) {
                    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
                    while (System.nanoTime() < until) {
                        LockSupport.parkNanos(until - System.nanoTime());
                    }
                }
                receiver.accept(payload);
            }

            @Override
            public void close() {
            }
        };
    }

    /**
     * At 10,000/s a 50 ms stall delays the ~500 messages due during it: measured from the intended
     * send time they all count (p99 near 50 ms); measured from the real send time only one would.
     */
    @Test
    void aStallCountsInEveryMessageItDelayed() throws Exception {
        OpenLoop.Receiver receiver = new OpenLoop.Receiver();
        OpenLoop.Result r = OpenLoop.run(stallingOnce(receiver), receiver, 0, 2_000, 10_000, Duration.ofSeconds(10));
        assertEquals(2_000, r.received());
        assertEquals(2_000, r.latency().count());
        assertTrue(r.latency().percentileMicros(99) > 40_000, "p99 " + r.latency().percentileMicros(99));
        assertTrue(r.latency().percentileMicros(90) > 10_000, "p90 " + r.latency().percentileMicros(90));
        assertTrue(r.maxLagUs() > 40_000, "sender lag " + r.maxLagUs());
    }

    @Test
    void duplicatesAndEarlierPhasesDoNotCount() throws Exception {
        OpenLoop.Receiver receiver = new OpenLoop.Receiver();
        OpenLoop.Target twice = new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) {
                receiver.accept(payload);
                receiver.accept(payload);
                receiver.accept(BenchPayload.at(payload.seq() - 1_000, payload.sentNanos()));
            }

            @Override
            public void close() {
            }
        };
        OpenLoop.Result r = OpenLoop.run(twice, receiver, 1_000, 100, 0, Duration.ofSeconds(10));
        assertEquals(100, r.received());
        assertEquals(100, r.duplicates());
        assertEquals(100, r.latency().count());
        assertEquals(0, r.lost());
    }
}
