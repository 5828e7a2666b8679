package dev.courier.amqp;

import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.memory.InMemoryDeduplicationStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Faults on a real 3-node RabbitMQ cluster ({@code .ci/rabbitmq-cluster.sh}, started here and stopped at the end),
 * with quorum queues and Courier's address list, while one bus publishes at a steady rate and another consumes:
 * <ul>
 *   <li>the node leading the service's queue is killed (SIGKILL) and started again;</li>
 *   <li>the leading node is paused (SIGSTOP) for longer than the AMQP heartbeat, then resumed (SIGCONT);</li>
 *   <li>all three nodes are restarted one after the other.</li>
 * </ul>
 * Every test checks: every confirmed message is handled (lost = 0), no message id runs the handler twice (the
 * bus's deduplication absorbs redeliveries), publishing and consuming resume, and both buses are healthy again.
 * It prints the failover times seen by the publisher (longest gap between confirms) and by the consumer (longest
 * gap between deliveries) and appends them to {@code target/cluster-faults.txt}.
 *
 * <p>Runs where the cluster can be started (rabbitmq-server on the PATH); under {@code CI=true} it must.
 * {@code -Dcourier.amqp.cluster=false} skips it elsewhere. Rate: {@code -Dcourier.amqp.clusterRate} (default 200/s).
 */
@Tag("cluster")
class AmqpClusterFaultTest {
    private static final int RATE = Integer.getInteger("courier.amqp.clusterRate", 200);
    private static final Duration HEARTBEAT = Duration.ofSeconds(2);
    private static final Duration PAUSE = Duration.ofSeconds(12);
    /** The longest failover accepted (measured: 0.5 s for a crash or a restart, the pause's length for a pause). */
    private static final Duration MAX_FAILOVER = Duration.ofSeconds(45);
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static RabbitCluster cluster;

    @BeforeAll
    static void startTheCluster() throws Exception {
        assumeTrue(Ci.isCi() || Boolean.parseBoolean(System.getProperty("courier.amqp.cluster", "true")),
                "cluster fault tests switched off with -Dcourier.amqp.cluster=false");
        String why = RabbitCluster.whyNot();
        Ci.require(why == null, why);
        cluster = RabbitCluster.start();
    }

    @AfterAll
    static void stopTheCluster() {
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
    }

    /**
     * SIGKILL of the node that leads the service's queue and holds the consumer's connection; the publisher is
     * connected to another node. The consumer reconnects to a surviving node, the publisher's channel follows the new
     * leader; the killed node is started again.
     */
    @Test
    void killingTheQueueLeaderMidStreamLosesNothing() throws Exception {
        try (Stream s = new Stream("kill")) {
            s.startPublisher(true);
            s.run(() -> killTheLeader(s));
        }
    }

    /**
     * The same SIGKILL with the publisher connected to the leader too, so that it must reconnect and publish on a new
     * channel to a surviving node while RabbitMQ still records the dead node as the queue's leader.
     *
     * <p>On RabbitMQ 3.10.8 the new channel's first publish to the quorum queue asks the recorded (dead) leader for
     * its machine version ({@code rabbit_fifo_client:enqueue/3}, an {@code rpc:call} without timeout); the broker then
     * either nacks every publish on that channel for good ({@code {badrpc, nodedown}} → {@code reject_publish}) or
     * blocks the channel, which puts the whole connection in flow (RabbitMQ stops reading its socket). Fixed in
     * RabbitMQ by rabbitmq-server#9221 / #9241 (3.11.x, 3.12.x). Courier copes: a publishing channel that nacks 64
     * times in a row is replaced; one that confirms nothing for half the publish timeout while publishes wait is
     * given up with its connection; what it had not confirmed is published again on a channel opened after the
     * election. Before
     * that (3 runs of 3) the stream never resumed: 1,514 confirmed, then 58,352 nacks in 90 s.
     */
    @Test
    void killingTheQueueLeaderThatHoldsThePublishersConnectionLosesNothing() throws Exception {
        try (Stream s = new Stream("kill-publisher-on-leader")) {
            s.startPublisher(false);
            s.run(() -> killTheLeader(s));
        }
    }

    private static void killTheLeader(Stream s) {
        int leader = cluster.leaderOf(s.queue());
        s.note("leader courier-c" + leader + " killed (SIGKILL)");
        try {
            cluster.kill(leader);
            s.awaitProgress("after the leader was killed");
        } finally {
            cluster.restart(leader);
        }
        s.note("new leader courier-c" + cluster.leaderOf(s.queue()));
    }

    /**
     * SIGSTOP of the leading node (which holds the consumer's connection) for longer than the heartbeat, then
     * SIGCONT: a partition as the others see it, without closing a socket.
     */
    @Test
    void pausingTheQueueLeaderLongerThanTheHeartbeatLosesNothing() throws Exception {
        try (Stream s = new Stream("pause")) {
            s.startPublisher(true);
            s.run(() -> {
                int leader = cluster.leaderOf(s.queue());
                s.note("leader courier-c" + leader + " paused (SIGSTOP) for " + PAUSE.toSeconds() + " s, heartbeat "
                        + HEARTBEAT.toSeconds() + " s");
                try {
                    cluster.pause(leader);
                    LockSupport.parkNanos(PAUSE.toNanos()); // the fault's length, not a synchronisation
                } finally {
                    cluster.resume(leader);
                }
                s.awaitProgress("after the paused leader resumed");
                s.note("leader now courier-c" + cluster.leaderOf(s.queue()));
            });
        }
    }

    /** Restarts (SIGTERM, start, wait for the cluster) courier-c1, c2 and c3 one after the other under load. */
    @Test
    void aRollingRestartOfAllThreeNodesUnderLoadLosesNothing() throws Exception {
        try (Stream s = new Stream("rolling")) {
            s.startPublisher(false);
            s.run(() -> {
                for (int n = 1; n <= 3; n++) {
                    s.note("courier-c" + n + " restarted (leader was courier-c" + cluster.leaderOf(s.queue()) + ")");
                    cluster.restart(n);
                    s.awaitProgress("after courier-c" + n + " restarted");
                }
            });
        }
    }

    /** A publishing bus and a consuming bus on the cluster, with the accounting the tests check and print. */
    private static final class Stream implements AutoCloseable {
        private final String fault;
        private final String ns = "cl" + RUN + "x" + SEQ.incrementAndGet();
        private final Set<Integer> confirmed = ConcurrentHashMap.newKeySet();
        private final Set<Integer> handled = ConcurrentHashMap.newKeySet();
        private final Map<String, AtomicInteger> runsById = new ConcurrentHashMap<>();
        private final AtomicLong published = new AtomicLong();
        private final AtomicLong failedPublishes = new AtomicLong();
        private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
        private final AtomicLong handlerRuns = new AtomicLong();
        private final AtomicLong absorbed = new AtomicLong();
        private final AtomicInteger issued = new AtomicInteger();
        private final Gap confirmGap = new Gap();
        private final Map<Integer, Long> firstAttempt = new ConcurrentHashMap<>();
        private final AtomicLong longestConfirmWait = new AtomicLong();
        private final Gap deliveryGap = new Gap();
        private final StringBuilder notes = new StringBuilder();
        private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
        private final MessageBus sink;
        private MessageBus pub;

        Stream(String fault) {
            this.fault = fault;
            String uri = RabbitCluster.uri("queueType=quorum&heartbeat=" + HEARTBEAT.toSeconds() + "&namespace=" + ns);
            sink = MessageBus.builder("svc").transport(uri).concurrency(4)
                    .deduplicationStore(InMemoryDeduplicationStore.ofDefaults())
                    .retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(10)).jitter(0.0)
                            .redeliveryDelays(Duration.ofMillis(300)).build())
                    .closeTimeout(Duration.ofSeconds(10))
                    .listener(new BusListener() {
                        @Override
                        public void duplicate(Envelope envelope) {
                            absorbed.incrementAndGet();
                        }
                    })
                    .onEvent(Pinged.class, (e, ctx) -> {
                        deliveryGap.mark();
                        handlerRuns.incrementAndGet();
                        runsById.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger()).incrementAndGet();
                        handled.add(e.n());
                    }).build();
            sink.start();
        }

        /**
         * Starts the publishing bus. {@code awayFromTheLeader}: its address list starts with a node that does not lead
         * the service's queue (so the fault hits its queue's leader, not its connection); otherwise it lists the nodes
         * in order 1, 2, 3 like the consumer, whose connection is on the node that declared (and leads) the queue.
         */
        void startPublisher(boolean awayFromTheLeader) {
            int[] order = {1, 2, 3};
            if (awayFromTheLeader) {
                int leader = cluster.leaderOf(queue());
                int other = leader % 3 + 1;
                order = new int[] {other, other % 3 + 1, leader};
            }
            note("publisher connects to courier-c" + order[0] + ", consumer to courier-c1");
            String uri = RabbitCluster.uri(order, "queueType=quorum&heartbeat=" + HEARTBEAT.toSeconds() + "&namespace="
                    + ns);
            pub = MessageBus.builder("pub").transport(uri).publishTimeout(Duration.ofSeconds(30))
                    .closeTimeout(Duration.ofSeconds(10)).produces(Pinged.class).build();
            pub.start();
        }

        /** The quorum queue the consuming service reads ({@code <namespace>.<service>.<message name>}). */
        String queue() {
            return ns + ".svc.v1.kit.pinged";
        }

        void note(String s) {
            synchronized (notes) {
                notes.append(notes.length() == 0 ? "" : "; ").append(s);
            }
        }

        /** Waits until two more seconds' worth of messages are confirmed and handled. */
        void awaitProgress(String when) {
            int c = confirmed.size() + 2 * RATE;
            int h = handled.size() + 2 * RATE;
            Await.until(Duration.ofSeconds(90), () -> confirmed.size() >= c && handled.size() >= h,
                    () -> "the stream made no progress " + when + ": confirmed " + confirmed.size() + ", handled "
                            + handled.size() + ", failed publishes " + failedPublishes + " " + failures + "\n"
                            + cluster.queues());
        }

        /**
         * Publishes at RATE (a publish whose future failed is published again, same number, new id, as an
         * application would), applies the fault once three seconds are through, keeps publishing five seconds
         * after it, then drains and checks the accounting.
         */
        void run(Runnable faultAction) throws Exception {
            AtomicBoolean stop = new AtomicBoolean();
            Semaphore window = new Semaphore(2_000);
            long t0 = System.nanoTime();
            Thread producer = new Thread(() -> {
                for (int n = 0; !stop.get(); n++) {
                    long due = t0 + n * (1_000_000_000L / RATE);
                    long now = System.nanoTime();
                    if (due > now) {
                        LockSupport.parkNanos(due - now);
                    }
                    try {
                        window.acquire();
                    } catch (InterruptedException e) {
                        return;
                    }
                    issued.set(n + 1);
                    publish(n, window);
                }
            }, "cluster-producer");
            producer.start();
            long faultNanos;
            try {
                Await.until(Duration.ofSeconds(60), () -> handled.size() >= 3 * RATE, () -> "the stream did not start:"
                        + " confirmed " + confirmed.size() + ", handled " + handled.size());
                long f0 = System.nanoTime();
                faultAction.run();
                faultNanos = System.nanoTime() - f0;
                int target = confirmed.size() + 5 * RATE;
                Await.until(Duration.ofSeconds(120), () -> confirmed.size() >= target, () -> "publishing did not go on"
                        + " after the fault: " + confirmed.size() + " confirmed");
            } finally {
                stop.set(true);
                producer.join(30_000);
                confirmGap.close();
            }
            Await.until(Duration.ofSeconds(180), () -> confirmed.size() == issued.get(), () -> "not every publish was"
                    + " confirmed in the end: " + confirmed.size() + " of " + issued.get() + " (" + failedPublishes
                    + " failed and published again: " + failures + ")\n" + cluster.queues());
            Await.until(Duration.ofSeconds(180), () -> handled.containsAll(confirmed), this::accounting);
            deliveryGap.close();
            runsById.forEach((id, n) -> assertEquals(1, n.get(), "message " + id + " ran the handler " + n + " times"));
            Await.until(Duration.ofSeconds(60), () -> sink.health().isHealthy() && pub.health().isHealthy(),
                    () -> "buses should be healthy again: " + sink.health() + " / " + pub.health());
            long lost = confirmed.stream().filter(n -> !handled.contains(n)).count();
            String line = String.format("cluster-fault %s: published %d (%d failed, published again), confirmed %d,"
                            + " handled %d, duplicates absorbed %d (redeliveries %d, republished %d), lost %d;"
                            + " publisher failover %d ms (longest wait for one confirm, retries included, %d ms),"
                            + " consumer failover %d ms; fault took %d ms; rate %d/s; %s; publish failures %s",
                    fault, published.get(), failedPublishes.get(), confirmed.size(), handled.size(),
                    absorbed.get() + (handlerRuns.get() - handled.size()), absorbed.get(),
                    handlerRuns.get() - handled.size(), lost, confirmGap.maxMillis(),
                    TimeUnit.NANOSECONDS.toMillis(longestConfirmWait.get()), deliveryGap.maxMillis(),
                    TimeUnit.NANOSECONDS.toMillis(faultNanos), RATE, notes, failures);
            System.out.println(line);
            record(line);
            assertEquals(0, lost, line);
            assertTrue(confirmGap.maxMillis() < MAX_FAILOVER.toMillis() && deliveryGap.maxMillis() < MAX_FAILOVER.toMillis(),
                    "failover over " + MAX_FAILOVER + ": " + line);
        }

        private String accounting() {
            long lost = confirmed.stream().filter(n -> !handled.contains(n)).count();
            return "confirmed messages were not handled: lost " + lost + " of " + confirmed.size() + " confirmed; handled "
                    + handled.size() + "; failed publishes " + failures + "\n" + cluster.queues();
        }

        private void publish(int n, Semaphore window) {
            published.incrementAndGet();
            firstAttempt.putIfAbsent(n, System.nanoTime());
            pub.publish(new Pinged(n, "cluster")).whenComplete((x, e) -> {
                if (e == null) {
                    confirmGap.mark();
                    long waited = System.nanoTime() - firstAttempt.get(n);
                    longestConfirmWait.accumulateAndGet(waited, Math::max);
                    confirmed.add(n);
                    window.release();
                } else {
                    failedPublishes.incrementAndGet();
                    Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    String m = String.valueOf(c.getMessage()).replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>")
                            .replaceAll("[0-9]+", "N");
                    failures.computeIfAbsent(c.getClass().getSimpleName() + ": " + m.substring(0, Math.min(160,
                            m.length())), k -> new AtomicLong()).incrementAndGet();
                    retry.schedule(() -> publish(n, window), 200, TimeUnit.MILLISECONDS);
                }
            });
        }

        private static void record(String line) {
            try {
                Files.writeString(Path.of("target", "cluster-faults.txt"), line + System.lineSeparator(),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                System.err.println("could not write target/cluster-faults.txt: " + e);
            }
        }

        @Override
        public void close() {
            retry.shutdownNow();
            for (MessageBus b : new MessageBus[] {pub, sink}) {
                if (b == null) {
                    continue;
                }
                try {
                    b.close();
                } catch (RuntimeException ignored) {
                    // keep closing
                }
            }
        }
    }

    /** The longest pause between two consecutive events (confirms, deliveries). */
    private static final class Gap {
        private long last;
        private long max;
        private boolean closed;

        synchronized void mark() {
            long now = System.nanoTime();
            if (closed) {
                return;
            }
            if (last != 0) {
                max = Math.max(max, now - last);
            }
            last = now;
        }

        /** Later events no longer count (the stream has ended; a late retry is no failover). */
        synchronized void close() {
            closed = true;
        }

        synchronized long maxMillis() {
            return TimeUnit.NANOSECONDS.toMillis(max);
        }
    }
}
