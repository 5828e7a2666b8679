package dev.courier.kit;

import dev.courier.PublishTimeoutException;
import dev.courier.TransportConnectException;
import dev.courier.spi.Capability;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.StaleDeliveryException;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.failure;
import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static dev.courier.kit.Kit.publishPinged;
import static dev.courier.kit.Kit.settle;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The one connection behaviour every transport has (issue 13, "one house"): start-up against a
 * broker that is down, a confirm that never comes, a full publish window, publishes cut mid-flight,
 * and settling a delivery whose connection is gone. The faults come from a {@link NetworkFault}
 * proxy of the case's own between the transport and its broker ({@link KitHarness#networkFault}),
 * so these cases never touch the shared broker and run concurrently with the rest of the kit. A
 * transport whose kit cannot route it through a proxy (memory) skips them, with the reason.
 *
 * <p>They are timing rules (a publish timeout, a start timeout), so the stress case does not repeat
 * them; they run concurrently with every other case all the same.
 */
public interface ConnectionCases extends KitHarness {

    /** The publish timeout of the confirm-timeout case. */
    Duration PUBLISH_TIMEOUT = Duration.ofSeconds(2);
    /** The start timeout of the start-up case against a broker that is down. */
    Duration DOWN_START_TIMEOUT = Duration.ofSeconds(2);
    /** The start timeout of the start-up case whose broker comes up while start is trying. */
    Duration LATE_START_TIMEOUT = Duration.ofSeconds(20);
    /** The publish timeout of the full-window case: room enough to fill a window of 1,000 under load. */
    Duration WINDOW_PUBLISH_TIMEOUT = Duration.ofSeconds(5);
    /** The publish timeout of the resend case: far longer than a reconnect to a proxy that accepts at once. */
    Duration RESEND_PUBLISH_TIMEOUT = Duration.ofSeconds(15);
    /** How late a future may complete after its bound (thread scheduling under load). */
    Duration SLACK = Duration.ofSeconds(3);
    /** How much longer than the publish timeout a publish call may take to return (thread scheduling under load). */
    Duration CALL_SLACK = Duration.ofSeconds(1);
    /** How much earlier than its deadline a timer may fire (a sweep's granularity). */
    Duration EARLY = Duration.ofMillis(300);
    /**
     * How much of its publish timeout a publish of the resend case may have had left when the
     * transport's last connection came back and still time out (the reconnect's handshake and
     * resubscribe, under load).
     */
    Duration RECONNECT_GRACE = Duration.ofSeconds(5);
    /** The messages of the resend case. */
    int RESEND_COUNT = 200;
    /** The largest window the full-window case fills. */
    int LARGEST_WINDOW = 10_000;

    /**
     * <b>Rule:</b> {@code start} against a broker that refuses every connection throws
     * {@link TransportConnectException} — not an {@code IllegalStateException}, not a bare
     * {@code CourierException} — once its start timeout ({@link TransportContext#startTimeout()})
     * has passed (plus {@link #SLACK}), and the failed start leaves no non-daemon thread behind: a
     * program whose start failed exits by itself. Checked in a child JVM ({@link ChildStart}) with
     * a start timeout of {@link #DOWN_START_TIMEOUT}; the child exits within
     * {@link JvmExitCases#EXIT_BOUND} of the failure.
     *
     * @throws Exception when the child JVM cannot be started or waited for
     */
    @KitCase(stress = false)
    default void startAgainstABrokerThatIsDownFailsWithTransportConnectException() throws Exception {
        NetworkFault fault = networkFault("start-up against a broker that is down");
        fault.refuse();
        ChildJvm child = ChildJvm.start(ChildStart.class, List.of(getClass().getName(), namespace(),
                fault.address().getHostString(), Integer.toString(fault.address().getPort()),
                Long.toString(DOWN_START_TIMEOUT.toMillis())));
        try {
            Await.until(DOWN_START_TIMEOUT.plus(SLACK).plus(patience()), () -> child.line(ChildStart.THREW) != null
                    || child.line(ChildStart.RETURNED) != null || !child.isAlive(), () -> "start against a broker that"
                    + " refuses every connection neither returned nor threw within the start timeout of "
                    + DOWN_START_TIMEOUT + " (plus slack) — check that start gives up once TransportContext.startTimeout()"
                    + " has passed; the child's output:\n" + output(child));
            assertTrue(child.line(ChildStart.RETURNED) == null, () -> "start returned normally although the broker"
                    + " refused every connection (" + fault + ") — check that the transport routes through the kit's"
                    + " proxy; the child's output:\n" + output(child));
            ChildJvm.Line threw = child.line(ChildStart.THREW);
            if (threw == null) {
                child.waitFor(Duration.ofSeconds(5));
                fail("the child JVM ended before start threw; its output:\n" + output(child));
            }
            String[] parts = threw.text().substring(ChildStart.THREW.length()).trim().split(" ", 3);
            long millis = Long.parseLong(parts[0]);
            String type = parts[1];
            String message = parts.length > 2 ? parts[2] : "";
            assertTrue(fault.refused() >= 1, () -> "the transport never tried the proxy (" + fault + "): check the"
                    + " kit's newTransportVia(); start threw " + type + ": " + message);
            List<String> broken = new ArrayList<>();
            if (!TransportConnectException.class.isAssignableFrom(Class.forName(type))) {
                broken.add("start against a broker that is down must throw dev.courier.TransportConnectException (naming"
                        + " the broker, the attempts and the last failure as its cause), but threw " + type + ": " + message);
            }
            if (millis > DOWN_START_TIMEOUT.plus(SLACK).toMillis()) {
                broken.add("start against a broker that is down must give up once its start timeout (" + DOWN_START_TIMEOUT
                        + ", TransportContext.startTimeout()) has passed, but took " + millis + " ms — check that the"
                        + " transport uses the context's start timeout, not one of its own configuration");
            }
            long left = JvmExitCases.EXIT_BOUND.toNanos() - (System.nanoTime() - threw.nanos());
            if (!child.waitFor(Duration.ofNanos(Math.max(0, left)))) {
                Await.upTo(Duration.ofSeconds(3), () -> child.line(ChildBus.ALIVE) != null);
                broken.add("the child JVM did not exit within " + JvmExitCases.EXIT_BOUND + " after start threw — a"
                        + " failed start left a non-daemon thread behind; check that start shuts down every executor,"
                        + " event loop and client it created before it throws. The child's output:\n" + output(child));
            }
            assertTrue(broken.isEmpty(), () -> String.join("\n  and ", broken));
        } finally {
            if (child.isAlive()) {
                child.kill();
            }
        }
    }

    /**
     * <b>Rule:</b> {@code start} keeps trying (with the transport's backoff) for its whole start
     * timeout: when the broker refuses the first attempt and accepts later, still within the start
     * timeout, {@code start} returns normally and the transport works — a subscription receives what
     * the same transport publishes.
     */
    @KitCase(stress = false)
    default void startKeepsTryingUntilTheBrokerAccepts() {
        NetworkFault fault = networkFault("start-up against a broker that comes up later");
        fault.refuse();
        Transport t = unstartedTransportVia(fault);
        CompletableFuture<Void> started = new CompletableFuture<>();
        Thread starter = new Thread(() -> {
            try {
                t.start(context("late", RESEND_PUBLISH_TIMEOUT).withStartTimeout(LATE_START_TIMEOUT));
                started.complete(null);
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        }, "kit-late-start");
        starter.setDaemon(true);
        starter.start();
        Await.until(patience(), () -> fault.refused() >= 1 || started.isDone(), () -> "start never tried the proxy ("
                + fault + ") — check the kit's newTransportVia()");
        if (started.isCompletedExceptionally()) {
            fail("start gave up after the first refused attempt instead of trying again for its start timeout of "
                    + LATE_START_TIMEOUT + ": " + failure(started, Duration.ZERO));
        }
        fault.accept();
        Await.until(LATE_START_TIMEOUT.plus(SLACK), started::isDone, () -> "start did not return within its start"
                + " timeout of " + LATE_START_TIMEOUT + " although the broker accepts again (" + fault + ")");
        if (started.isCompletedExceptionally()) {
            fail("start failed although the broker accepted within its start timeout of " + LATE_START_TIMEOUT + " —"
                    + " it must keep trying, with its backoff, for TransportContext.startTimeout(), not give up after"
                    + " a refused attempt: " + failure(started, Duration.ZERO));
        }
        Received got = new Received(Delivery::ack);
        t.subscribe(PINGED, "late", 4, got);
        String id = publishPinged(t, 1, patience());
        got.await(id, 1, patience(), "a transport whose start waited for the broker must work once started: publish"
                + " and subscribe");
    }

    /**
     * <b>Rule:</b> a publish whose confirm never comes (the network swallows it: {@link NetworkFault#blackhole()})
     * fails its future with {@link PublishTimeoutException} within the publish timeout (plus
     * {@link #SLACK}); the publish call itself never throws and never blocks longer than the
     * publish timeout.
     */
    @KitCase(stress = false)
    default void aPublishWhoseConfirmNeverComesFailsWithPublishTimeoutException() {
        NetworkFault fault = networkFault("a confirm timeout");
        Transport t = unstartedTransportVia(fault);
        t.start(context("confirm", PUBLISH_TIMEOUT));
        publishPinged(t, 0, patience());
        fault.blackhole();
        long t0 = System.nanoTime();
        CompletableFuture<Void> f = publish(t, 1);
        Duration call = Duration.ofNanos(System.nanoTime() - t0);
        assertTrue(call.compareTo(PUBLISH_TIMEOUT.plus(CALL_SLACK)) <= 0, () -> "a publish call blocked for " + call
                + ", longer than the publish timeout of " + PUBLISH_TIMEOUT + " — publish may wait for room or a"
                + " connection up to the publish timeout, never for the confirm");
        Duration left = PUBLISH_TIMEOUT.plus(SLACK).minus(call);
        Throwable cause = failureWithin(f, left, "a publish whose confirm never comes must fail within the publish"
                + " timeout of " + PUBLISH_TIMEOUT + " — check that every publish waiting for its confirm has a deadline"
                + " that a sweep or timer enforces, also while the connection looks alive");
        assertInstanceOf(PublishTimeoutException.class, cause, () -> "a publish whose confirm never came must fail with"
                + " PublishTimeoutException, not " + cause);
    }

    /**
     * <b>Rule:</b> one back-pressure rule for a full publish window ({@link Transport#publishWindow()}):
     * while confirms do not come, the first {@code capacity} publishes are taken (their futures stay
     * pending until their own publish timeout); the publish past the window waits for room at most
     * the publish timeout — it never throws and never fails at once — and its future fails with
     * {@link PublishTimeoutException}. After the network heals, no future stays pending: each
     * completes normally or with {@link PublishTimeoutException}. Skipped for transports without a
     * window.
     */
    @KitCase(stress = false)
    default void aPublishPastAFullWindowWaitsAtMostThePublishTimeout() {
        NetworkFault fault = networkFault("a full publish window");
        Transport t = unstartedTransportVia(fault);
        t.start(context("window", WINDOW_PUBLISH_TIMEOUT));
        Transport.PublishWindow window = t.publishWindow();
        assumeTrue(window != null, "the transport exposes no publishWindow()");
        int capacity = window.capacity();
        assumeTrue(capacity > 0 && capacity <= LARGEST_WINDOW, "a window of " + capacity + " is more than the case fills");
        publishPinged(t, -1, patience());
        fault.blackhole();
        int n = capacity + 1;
        long[] calledAt = new long[n];
        AtomicLongArray doneAt = new AtomicLongArray(n);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        long slowest = 0;
        CallWatch watch = new CallWatch(WINDOW_PUBLISH_TIMEOUT.minus(EARLY));
        try {
            for (int i = 0; i < n; i++) {
                calledAt[i] = System.nanoTime();
                watch.begin();
                CompletableFuture<Void> f = publish(t, i);
                watch.end();
                long returned = System.nanoTime();
                if (i < capacity) {
                    slowest = Math.max(slowest, returned - calledAt[i]);
                    Duration call = Duration.ofNanos(returned - calledAt[i]);
                    int k = i;
                    // bounds the case too: a window smaller than it says would make every further call wait
                    assertTrue(call.compareTo(WINDOW_PUBLISH_TIMEOUT.minus(EARLY)) < 0, () -> "publish " + k + " of the"
                            + " first " + capacity + " (publishWindow().capacity()) blocked for " + call + ", waiting for room"
                            + " while the window should have had some (inFlight() = " + window.inFlight() + ") — check that"
                            + " capacity() is the window publish really applies (a broker's receive maximum may be smaller)"
                            + " and that a publish that timed out frees its slot; the call was blocked at:" + watch.stuckAt());
                }
                int k = i;
                f.whenComplete((v, e) -> doneAt.set(k, System.nanoTime()));
                futures.add(f);
                if (i == capacity) {
                    Duration call = Duration.ofNanos(returned - calledAt[i]);
                    assertTrue(call.compareTo(WINDOW_PUBLISH_TIMEOUT.plus(CALL_SLACK)) <= 0, () -> "the publish past a full"
                            + " window blocked for " + call + ", longer than the publish timeout of " + WINDOW_PUBLISH_TIMEOUT
                            + "; it was blocked at:" + watch.stuckAt());
                }
            }
        } finally {
            watch.close();
        }
        Duration slowestCall = Duration.ofNanos(slowest);
        assertTrue(slowestCall.compareTo(WINDOW_PUBLISH_TIMEOUT) < 0, () -> "a publish within the window's capacity ("
                + capacity + ") blocked for " + slowestCall + " — publishes that find room in the window must not wait");
        CompletableFuture<Void> past = futures.get(capacity);
        Throwable cause = failureWithin(past, WINDOW_PUBLISH_TIMEOUT.multipliedBy(2).plus(SLACK), "the publish past a"
                + " full window must fail once the publish timeout has passed without room (or without its confirm)");
        assertInstanceOf(PublishTimeoutException.class, cause, () -> "the publish past a full window must fail with"
                + " PublishTimeoutException (one back-pressure rule: wait for room up to the publish timeout), not " + cause);
        long firstDeadline = calledAt[0] + WINDOW_PUBLISH_TIMEOUT.minus(EARLY).toNanos();
        assertTrue(doneAt.get(capacity) >= firstDeadline, () -> "the publish past a full window failed "
                + Duration.ofNanos(doneAt.get(capacity) - calledAt[capacity]) + " after its call, while the window was"
                + " still full of publishes within their publish timeout (" + WINDOW_PUBLISH_TIMEOUT + ") — it must wait"
                + " for room up to the publish timeout, never fail at once: " + cause);
        for (int i = 0; i < capacity; i++) {
            if (futures.get(i).isDone()) {
                Duration after = Duration.ofNanos(doneAt.get(i) - calledAt[i]);
                int k = i;
                assertTrue(after.compareTo(WINDOW_PUBLISH_TIMEOUT.minus(EARLY)) >= 0, () -> "publish " + k + " of the"
                        + " first " + capacity + " (the window's capacity) completed " + after + " after its call, before"
                        + " its publish timeout, while no confirm could come: " + outcome(futures.get(k)));
            }
        }
        fault.heal();
        Await.until(patience(), () -> futures.stream().allMatch(CompletableFuture::isDone), () -> futures.stream()
                .filter(f -> !f.isDone()).count() + " of " + n + " publishes stay pending after the network healed —"
                + " every publish must complete, normally or with PublishTimeoutException");
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> f = futures.get(i);
            if (f.isCompletedExceptionally()) {
                Throwable e = failure(f, Duration.ZERO);
                int k = i;
                assertInstanceOf(PublishTimeoutException.class, e, () -> "publish " + k + " of a full window failed with "
                        + e + "; the only failure a full window may cause is PublishTimeoutException");
            }
        }
    }

    /**
     * <b>Rule:</b> a connection cut in the middle of a stream of publishes loses none that succeed:
     * every future completes — normally, or with {@link PublishTimeoutException} only once its
     * publish timeout has passed — and every message whose future succeeded is received (at least
     * once). Publishes waiting for their confirm when the connection dropped are sent again on the
     * new connection; publishes made while it is down wait for it (up to the publish timeout): so
     * a publish that still had more than {@link #RECONNECT_GRACE} of its publish timeout left when
     * the transport had reconnected (the proxy accepts again at once) must not time out. The
     * transport works afterwards.
     */
    @KitCase(stress = false)
    default void publishesCutMidStreamAreResentAfterTheReconnect() {
        NetworkFault fault = networkFault("resend after a reconnect");
        Transport consumer = raw();
        Set<String> got = ConcurrentHashMap.newKeySet();
        consumer.subscribe(PINGED, "resend", 64, d -> {
            got.add(d.headers().get(Headers.ID));
            d.ack();
        });
        Transport t = unstartedTransportVia(fault);
        t.start(context("resend", RESEND_PUBLISH_TIMEOUT));
        String warmUp = publishPinged(t, -1, patience());
        Await.until(patience(), () -> got.contains(warmUp), () -> "the consumer should receive before the cut");
        List<String> ids = new ArrayList<>();
        long[] calledAt = new long[RESEND_COUNT];
        AtomicLongArray doneAt = new AtomicLongArray(RESEND_COUNT);
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < RESEND_COUNT; i++) {
            if (i == RESEND_COUNT / 2) {
                fault.cut();
            }
            String id = UUID.randomUUID().toString();
            ids.add(id);
            calledAt[i] = System.nanoTime();
            CompletableFuture<Void> f = publish(t, id, i);
            int k = i;
            f.whenComplete((v, e) -> doneAt.set(k, System.nanoTime()));
            futures.add(f);
        }
        Await.until(RESEND_PUBLISH_TIMEOUT.plus(SLACK).plus(patience()), () -> futures.stream()
                .allMatch(CompletableFuture::isDone), () -> futures.stream().filter(f -> !f.isDone()).count() + " of "
                + RESEND_COUNT + " publishes never completed after a cut — check that publishes waiting for their confirm"
                + " when the connection dropped are resent on the new connection, or failed at their publish timeout");
        List<String> succeeded = new ArrayList<>();
        int timedOut = 0;
        for (int i = 0; i < RESEND_COUNT; i++) {
            CompletableFuture<Void> f = futures.get(i);
            if (!f.isCompletedExceptionally()) {
                succeeded.add(ids.get(i));
                continue;
            }
            Throwable e = failure(f, Duration.ZERO);
            int k = i;
            assertInstanceOf(PublishTimeoutException.class, e, () -> "publish " + k + " of " + RESEND_COUNT + " (the"
                    + " connection was cut at " + RESEND_COUNT / 2 + ") failed with " + e + " — a lost connection must"
                    + " never fail a publish: it is resent after the reconnect, or times out");
            Duration after = Duration.ofNanos(doneAt.get(i) - calledAt[i]);
            assertTrue(after.compareTo(RESEND_PUBLISH_TIMEOUT.minus(EARLY)) >= 0, () -> "publish " + k + " failed with"
                    + " PublishTimeoutException " + after + " after its call, before its publish timeout of "
                    + RESEND_PUBLISH_TIMEOUT + ": " + e);
            Duration leftAtReconnect = Duration.ofNanos(calledAt[i] + RESEND_PUBLISH_TIMEOUT.toNanos()
                    - fault.lastAcceptedNanos());
            assertTrue(leftAtReconnect.compareTo(RECONNECT_GRACE) < 0, () -> "publish " + k + " of " + RESEND_COUNT
                    + " (the connection was cut at " + RESEND_COUNT / 2 + ") timed out although the transport had"
                    + " reconnected with " + leftAtReconnect + " of its publish timeout left (the proxy accepted at once)"
                    + " — check that publishes waiting for their confirm when the connection dropped, and those made"
                    + " while it was down, are sent (again) on the new connection: " + e);
            timedOut++;
        }
        int timeouts = timedOut;
        Await.until(patience(), () -> got.containsAll(succeeded), () -> "every publish whose future succeeded must be"
                + " received; missing " + succeeded.stream().filter(id -> !got.contains(id)).count() + " of "
                + succeeded.size() + " (" + timeouts + " timed out) — check that the publishes unconfirmed at the cut are"
                + " resent after the reconnect, and that a confirm from the old connection never completes a publish"
                + " the broker did not take");
        String after = publishPinged(t, RESEND_COUNT, patience());
        Await.until(patience(), () -> got.contains(after), () -> "the transport must work after the reconnect");
    }

    /**
     * <b>Rule:</b> a delivery whose connection was cut is stale: the broker delivers the message
     * again once the transport has reconnected, and settling the old delivery sends nothing and
     * fails its future with {@link StaleDeliveryException} (never throws). Settle-once holds across
     * the reconnect ({@link SettleCases} checks it without a fault): a second ack, or a reject after
     * the ack, of the new delivery completes normally and sends nothing — the message does not come
     * a third time and the subscription carries on. On a transport whose deliveries outlive reconnects
     * ({@link Capability#DELIVERIES_OUTLIVE_RECONNECTS}) the rule is {@link Kit#outlivesReconnect}.
     */
    @KitCase(stress = false)
    default void settlingADeliveryFromACutConnectionFailsStale() {
        NetworkFault fault = networkFault("a stale settle");
        Transport publisher = raw();
        Transport member = unstartedTransportVia(fault);
        member.start(context("stale", RESEND_PUBLISH_TIMEOUT));
        Received got = new Received();
        member.subscribe(PINGED, "stale", 4, got);
        String id = publishPinged(publisher, 1, patience());
        Delivery before = got.await(id, 1, patience(), "check that a subscription through the proxy receives events");
        fault.cut();
        if (has(Capability.DELIVERIES_OUTLIVE_RECONNECTS)) { // the rule's other form (Kafka keeps its partitions)
            Kit.outlivesReconnect(publisher, got, id, before, patience(), "a cut connection");
            return;
        }
        Delivery after = got.await(id, 2, patience(), "a message left unsettled when its connection was cut must be"
                + " delivered again once the transport has reconnected");
        Throwable stale = failure(settle("ack of a delivery from the cut connection", before::ack), patience());
        assertInstanceOf(StaleDeliveryException.class, stale, () -> "settling a delivery whose connection was cut must"
                + " fail with dev.courier.spi.StaleDeliveryException (nothing sent; the message has come again), not "
                + stale);
        CompletableFuture<Void> again = settle("a second settle of the stale delivery", () -> before.reject(true));
        Throwable second = Await.upTo(patience(), again::isDone) && again.isCompletedExceptionally()
                ? failure(again, Duration.ZERO) : null;
        assertTrue(again.isDone(), "a second settle of a stale delivery must complete (it sends nothing)");
        assertTrue(second == null || second instanceof StaleDeliveryException, () -> "a second settle of a stale"
                + " delivery completes normally or fails with StaleDeliveryException, not " + second);
        join(settle("ack of the delivery after the reconnect", after::ack), patience());
        join(settle("a second ack", after::ack), patience());
        join(settle("a reject after the ack", () -> after.reject(true)), patience());
        Await.stays(Duration.ofSeconds(1), () -> got.count(id) == 2, () -> "the message came " + got.count(id)
                + " times; after the reconnect it comes once more, and settling it again must send nothing — "
                + SettleCases.SETTLE_ONCE);
        String next = publishPinged(publisher, 2, patience());
        Delivery n = got.await(next, 1, patience(), "the subscription must carry on after a stale and a double settle");
        join(settle("ack", n::ack), patience());
        assertNotNull(n);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** A context for a transport of these cases: service {@code kitfault}, a unique instance id. */
    private static TransportContext context(String instance, Duration publishTimeout) {
        return new TransportContext("kitfault", instance + UUID.randomUUID().toString().substring(0, 8), publishTimeout);
    }

    /** Publishes a crafted {@code v1.kit.pinged} with a new id; a throw becomes an AssertionError. */
    private static CompletableFuture<Void> publish(Transport t, int n) {
        return publish(t, UUID.randomUUID().toString(), n);
    }

    /** Publishes a crafted {@code v1.kit.pinged} with {@code id}; a throw becomes an AssertionError. */
    private static CompletableFuture<Void> publish(Transport t, String id, int n) {
        CompletableFuture<Void> f;
        try {
            f = t.publish(PINGED, headersFor("v1.kit.pinged", id), json("{\"n\":" + n + ",\"text\":\"fault\"}"));
        } catch (RuntimeException e) {
            throw new AssertionError("publish threw " + e + "; it must fail its future instead, never throw for a"
                    + " runtime condition (no connection, no room, no confirm)", e);
        }
        assertNotNull(f, "publish returned null instead of a future");
        return f;
    }

    /** The failure of {@code f} within {@code bound}; an AssertionError naming {@code rule} otherwise. */
    private static Throwable failureWithin(CompletableFuture<?> f, Duration bound, String rule) {
        Await.until(bound.isNegative() ? Duration.ZERO : bound, f::isDone, () -> rule + " (still pending)");
        assertFalse(!f.isCompletedExceptionally(), () -> rule + ", but it completed normally");
        return failure(f, Duration.ZERO);
    }

    private static String outcome(CompletableFuture<?> f) {
        if (!f.isDone()) {
            return "pending";
        }
        return f.isCompletedExceptionally() ? "failed: " + failure(f, Duration.ZERO) : "completed normally";
    }

    private static String output(ChildJvm child) {
        StringBuilder b = new StringBuilder();
        child.stdout().forEach(l -> b.append("  out: ").append(l.text()).append('\n'));
        child.stderr().forEach(l -> b.append("  err: ").append(l.text()).append('\n'));
        return b.toString();
    }
}
