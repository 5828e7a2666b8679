package dev.courier.bench;

import dev.courier.bench.memory.BenchPayload;

import java.time.Duration;
import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop, fixed-rate sender and the receiving side's recorder, for latency under load.
 *
 * <p>Message {@code i} of a phase has an intended send time {@code t0 + i / rate}, fixed before the
 * phase starts. The sender waits for that time (or sends at once when it is already late, because a
 * send blocked on back-pressure), and the payload carries the intended time, not the time it really
 * left. The receiver records {@code now − intended} in an HdrHistogram: a stall of the sender, the
 * client or the broker counts in every message it delayed, which is the coordinated-omission
 * correction (a closed loop that measures from the real send time hides it).
 */
public final class OpenLoop {
    private OpenLoop() {
    }

    /** One side (Courier or a raw client) of one transport, connected and ready to send. */
    public interface Target extends AutoCloseable {
        /**
         * Sends one payload. May block on the client's back-pressure; does not wait for delivery.
         *
         * @param payload what to send, stamped with its intended send time
         * @throws Exception when the client fails
         */
        void send(BenchPayload payload) throws Exception;
    }

    /** The receiving end of a target: hands each delivered payload to the phase being measured. */
    public static final class Receiver {
        private volatile Phase phase;

        /**
         * Called by the target's handler for every delivered payload, on any thread.
         *
         * @param payload the delivered payload
         */
        public void accept(BenchPayload payload) {
            Phase p = phase;
            if (p != null) {
                p.record(payload);
            }
        }
    }

    /**
     * What one phase measured.
     *
     * @param rate       the offered rate in messages per second (0: as fast as the client takes them)
     * @param sent       messages sent
     * @param received   distinct messages delivered
     * @param duplicates deliveries of a message already delivered
     * @param seconds    from the first intended send time to the last delivery (or the end of patience)
     * @param latency    delivery time − intended send time of every delivered message
     * @param maxLagUs   how late the sender was at worst against its schedule, in microseconds
     */
    public record Result(double rate, long sent, long received, long duplicates, double seconds, Stats latency,
            double maxLagUs) {

        /** Messages delivered per second over the phase. */
        public double deliveredPerSecond() {
            return received / seconds;
        }

        /** Messages sent but never delivered within the patience. */
        public long lost() {
            return sent - received;
        }
    }

    /** The messages of one phase: sequence numbers {@code [first, first + n)}. */
    private static final class Phase {
        final long first;
        final int n;
        final Stats latency = new Stats();
        final BitSet seen;
        final AtomicLong received = new AtomicLong();
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong lastNanos = new AtomicLong();
        final CompletableFuture<Void> all = new CompletableFuture<>();

        Phase(long first, int n) {
            this.first = first;
            this.n = n;
            this.seen = new BitSet(n);
        }

        void record(BenchPayload p) {
            long now = System.nanoTime();
            long i = p.seq() - first;
            if (i < 0 || i >= n) {
                return; // a late message of an earlier phase
            }
            boolean again;
            synchronized (seen) {
                again = seen.get((int) i);
                seen.set((int) i);
            }
            if (again) {
                duplicates.incrementAndGet();
                return;
            }
            latency.add(now - p.sentNanos());
            lastNanos.accumulateAndGet(now, Math::max);
            if (received.incrementAndGet() == n) {
                all.complete(null);
            }
        }
    }

    /**
     * Runs one phase: {@code n} messages numbered from {@code firstSeq}, at {@code rate} per second on
     * a fixed schedule (or back to back when {@code rate} is 0, to measure the maximum), then waits up to
     * {@code patience} for the last delivery.
     *
     * @param target   where to send
     * @param receiver the target's receiving end
     * @param firstSeq the first sequence number (unique across phases of the same receiver)
     * @param n        how many messages
     * @param rate     messages per second, 0 for as fast as possible
     * @param patience how long to wait for deliveries after the last send
     * @return what the phase measured
     * @throws Exception when the target fails to send
     */
    public static Result run(Target target, Receiver receiver, long firstSeq, int n, double rate, Duration patience)
            throws Exception {
        Phase phase = new Phase(firstSeq, n);
        receiver.phase = phase;
        long maxLag = 0;
        long t0 = System.nanoTime() + (rate > 0 ? TimeUnit.MILLISECONDS.toNanos(1) : 0);
        for (int i = 0; i < n; i++) {
            long intended;
            if (rate > 0) {
                intended = t0 + (long) (i * 1e9 / rate);
                long now;
                while ((now = System.nanoTime()) < intended) {
                    LockSupport.parkNanos(intended - now);
                }
                maxLag = Math.max(maxLag, now - intended);
            } else {
                intended = System.nanoTime();
            }
            target.send(BenchPayload.at(firstSeq + i, intended));
        }
        try {
            phase.all.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // counted as lost
        }
        receiver.phase = null;
        long end = phase.received.get() == n ? phase.lastNanos.get() : System.nanoTime();
        return new Result(rate, n, phase.received.get(), phase.duplicates.get(), (end - t0) / 1e9, phase.latency,
                maxLag / 1000.0);
    }
}
