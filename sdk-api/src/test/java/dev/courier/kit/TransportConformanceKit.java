package dev.courier.kit;

import dev.courier.DeadLetter;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.PublishException;
import dev.courier.RemoteHandlerException;
import dev.courier.RequestTimeoutException;
import dev.courier.RetryPolicy;
import dev.courier.kit.KitMessages.BlobStored;
import dev.courier.kit.KitMessages.Hop;
import dev.courier.kit.KitMessages.Ping;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.kit.KitMessages.Pong;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.platform.commons.support.AnnotationSupport;
import org.junit.platform.commons.support.HierarchyTraversalMode;
import org.junit.platform.commons.support.ReflectionSupport;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What every Courier transport guarantees, stated once. A transport module extends this class with
 * a way to reach its real broker; the transport is done when the whole kit passes.
 *
 * <p>Each test gets its own namespace (all broker names of the test live under it) and its own
 * service names, and {@link #deleteNamespace} removes what the test left on the broker. Cases that
 * need an optional {@link Capability} are skipped, with the reason, when the transport lacks it.
 * Failure messages say what to check.
 *
 * <p>The cases ({@link KitCase}) run concurrently on one broker, each in its own namespace; those
 * that restart the broker ({@link RestartsBroker}) run alone. {@link #theScenariosRunConcurrentlyOnOneBroker}
 * runs every scenario again, all at once. So a subclass keeps no per-test state outside
 * {@link #newTransport} and {@link #deleteNamespace}, and has a constructor without arguments (the
 * stress case makes an instance per scenario it runs).
 */
public abstract class TransportConformanceKit implements KitHarness, IdCases, DecodeCases, SettleCases,
        SubscriptionCases, RedeliveryCases, PublishCases, BrokerRestartCases, JvmExitCases, TraceContextCases,
        ConnectionCases {

    /**
     * A new, unstarted transport whose broker names (exchanges, queues, topics) all live under {@code namespace}.
     *
     * @param namespace the test's namespace, unique per test
     * @return an unstarted transport
     */
    protected abstract Transport newTransport(String namespace);

    /**
     * Removes whatever the namespace left on the broker. Called after each test, also when it failed.
     *
     * @param namespace the test's namespace
     */
    protected void deleteNamespace(String namespace) {
    }

    /**
     * A new, unstarted transport like {@link #newTransport}, whose broker names live under
     * {@code namespace}, but that connects to {@code proxy} instead of the broker (host and port
     * only; everything else as {@link #newTransport} sets it). The {@link ConnectionCases} put a
     * {@link NetworkFault} there. Null (the default) skips those cases with the reason: the
     * transport cannot be routed through a proxy (memory has no network).
     *
     * <p>Called in the test's JVM, and also in a child JVM on a fresh instance of this class
     * ({@link ChildStart}): it must not depend on state a {@code @BeforeAll} or a test set up.
     *
     * @param namespace the test's namespace, unique per test
     * @param proxy where to connect instead of the broker
     * @return an unstarted transport, or null when the transport cannot be routed through a proxy
     */
    protected Transport newTransportVia(String namespace, java.net.InetSocketAddress proxy) {
        return null;
    }

    /**
     * The address of the broker the {@link #newTransport} transports of this test connect to, for
     * the {@link NetworkFault} proxy to forward to; may depend on {@link #namespace()} (a hub per
     * test). Null (the default) when the transport cannot be routed through a proxy.
     *
     * @return the broker's host and port, or null
     */
    protected java.net.InetSocketAddress brokerAddress() {
        return null;
    }

    /**
     * A new {@link NetworkFault} proxy in front of {@code broker} for one test, accepting and
     * forwarding; the kit heals and closes it after the test. The default listens on an ephemeral port
     * ({@link NetworkFault#to}). A transport whose clients follow an address the broker tells them
     * (Kafka's advertised listeners) overrides it to put the proxy on a port that broker advertises.
     *
     * @param broker from {@link #brokerAddress()}
     * @return the running proxy
     */
    protected NetworkFault newNetworkFault(java.net.InetSocketAddress broker) {
        return NetworkFault.to(broker);
    }

    /**
     * The kit cases this transport is known to fail today, by method name, each with the reason
     * (the failure the case reports): they are skipped with that reason instead of failing, so the
     * build stays green while the transport is brought in line. Empty (the default) runs every case.
     * Run with {@code -Dcourier.kit.drift=true} to run them anyway and see them fail. An entry is a
     * to-do: remove it once the transport passes the case.
     *
     * @return case method name to the reason it fails; never null
     */
    protected Map<String, String> knownDrift() {
        return Map.of();
    }

    /** Whether {@link #knownDrift()} is ignored ({@code -Dcourier.kit.drift=true}): the drifting cases run and fail. */
    private static boolean runDrift() {
        return Boolean.getBoolean("courier.kit.drift");
    }

    @Override
    public Duration patience() {
        return Duration.ofSeconds(30);
    }

    @Override
    public RetryPolicy fastRetries() {
        return RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(10)).jitter(0.0)
                .redeliveryDelays(Duration.ofMillis(300)).build();
    }

    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Per kit class: every case holds the read side, a {@link RestartsBroker} case the write side. */
    private static final Map<Class<?>, ReentrantReadWriteLock> BROKER_LOCKS = new ConcurrentHashMap<>();

    private String namespace;
    private final List<MessageBus> buses = new CopyOnWriteArrayList<>();
    private final List<Transport> raws = new CopyOnWriteArrayList<>();
    private final List<NetworkFault> faults = new CopyOnWriteArrayList<>();
    private Set<Capability> capabilities;
    private Lock brokerLock;

    @BeforeEach
    void kitSetUp(TestInfo info) {
        String drift = info.getTestMethod().map(m -> knownDrift().get(m.getName())).orElse(null);
        assumeTrue(drift == null || runDrift(), () -> "known drift of " + getClass().getSimpleName() + " (its knownDrift();"
                + " -Dcourier.kit.drift=true runs it): " + drift);
        boolean restarts = info.getTestMethod().map(m -> m.isAnnotationPresent(RestartsBroker.class)).orElse(false)
                && brokerControl().isPresent();
        ReentrantReadWriteLock rw = BROKER_LOCKS.computeIfAbsent(getClass(), c -> new ReentrantReadWriteLock(true));
        brokerLock = restarts ? rw.writeLock() : rw.readLock();
        brokerLock.lock();
        open();
    }

    @AfterEach
    void kitTearDown() {
        if (brokerLock == null) {
            return; // skipped before set-up (known drift)
        }
        try {
            cleanUp();
        } finally {
            brokerLock.unlock();
        }
    }

    /** Gives this instance a fresh namespace and learns the transport's capabilities. */
    private void open() {
        namespace = "ck" + RUN + "x" + SEQ.incrementAndGet();
        Transport probe = newTransport(namespace);
        capabilities = probe.capabilities();
    }

    private void cleanUp() {
        for (NetworkFault f : faults) {
            f.heal(); // transports close over a working network; closing through a blackhole is no kit case
        }
        for (MessageBus b : buses) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // keep cleaning up
            }
        }
        for (Transport t : raws) {
            try {
                t.close();
            } catch (RuntimeException e) {
                // keep cleaning up
            }
        }
        for (NetworkFault f : faults) {
            f.close();
        }
        buses.clear();
        raws.clear();
        faults.clear();
        deleteNamespace(namespace);
    }

    @Override
    public String namespace() {
        return namespace;
    }

    @Override
    public Transport unstartedTransport() {
        Transport t = newTransport(namespace);
        raws.add(t);
        return t;
    }

    @Override
    public MessageBus.Builder bus(String service) {
        return MessageBus.builder(service)
                .transport(newTransport(namespace))
                .retryPolicy(fastRetries())
                .claimLease(Duration.ofSeconds(5))
                .publishTimeout(Duration.ofSeconds(15))
                .closeTimeout(Duration.ofSeconds(15))
                .produces(Pinged.class, Ping.class, Hop.class, BlobStored.class);
    }

    @Override
    public MessageBus start(MessageBus.Builder builder) {
        MessageBus b = builder.build();
        buses.add(b);
        b.start();
        return b;
    }

    @Override
    public Transport raw() {
        Transport t = newTransport(namespace);
        t.start(new TransportContext("kitraw", "raw" + SEQ.incrementAndGet(), Duration.ofSeconds(15)));
        raws.add(t);
        return t;
    }

    @Override
    public NetworkFault networkFault(String why) {
        java.net.InetSocketAddress broker = brokerAddress();
        assumeTrue(broker != null, "the transport cannot be routed through a proxy (its kit gives no brokerAddress()):"
                + " " + why);
        NetworkFault fault = newNetworkFault(broker);
        faults.add(fault);
        Transport probe = newTransportVia(namespace, fault.address());
        assumeTrue(probe != null, "the transport cannot be routed through a proxy (its kit gives no newTransportVia()):"
                + " " + why);
        return fault;
    }

    @Override
    public Transport unstartedTransportVia(NetworkFault fault) {
        Transport t = newTransportVia(namespace, fault.address());
        assertNotNull(t, "newTransportVia() gave null after it gave a transport for this test");
        raws.add(t);
        return t;
    }

    @Override
    public void require(Capability c, String why) {
        assumeTrue(has(c), "transport lacks " + c + ": " + why);
    }

    @Override
    public boolean has(Capability c) {
        if (!capabilities.contains(c)) {
            // a transport may learn what it can do only when it connects (a WebSocket client from its hub's welcome)
            capabilities = raw().capabilities();
        }
        return capabilities.contains(c);
    }

    @Override
    public BrokerControl requireBrokerControl(String why) {
        BrokerControl control = brokerControl().orElse(null);
        assumeTrue(control != null, "the transport's kit offers no BrokerControl (memory has no broker to restart; a"
                + " broker transport's kit adds one with brokerControl()): " + why);
        String unavailable = control.unavailableReason();
        if (unavailable != null) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("the transport's kit offers a BrokerControl, but it cannot restart the broker here: " + unavailable
                        + " — under CI=true a restart case must run, not be skipped (" + why + ")");
            }
            assumeTrue(false, "cannot restart the broker here: " + unavailable + " (" + why + ")");
        }
        return control;
    }

    // ---- the stress case ----------------------------------------------------------------------------

    /**
     * Every scenario of the kit again, all at once ({@code courier.kit.stress.threads}, default 8, at a
     * time; {@code courier.kit.stress.rounds} rounds, default 1), each in its own namespace, on top of
     * the cases running in parallel anyway — Watermill's {@code TestPubSubStressTest}. A scenario that
     * passes alone but fails here shares state it should not (a static, a name outside its namespace)
     * or the transport mixes up concurrent subscriptions or confirms.
     */
    @KitCase(stress = false)
    void theScenariosRunConcurrentlyOnOneBroker() throws Exception {
        int rounds = Integer.getInteger("courier.kit.stress.rounds", 1);
        int threads = Integer.getInteger("courier.kit.stress.threads", 8);
        List<Method> scenarios = ReflectionSupport.findMethods(getClass(), m -> AnnotationSupport.isAnnotated(m, Test.class)
                        && !AnnotationSupport.isAnnotated(m, Disabled.class)
                        && !m.isAnnotationPresent(RestartsBroker.class)
                        && AnnotationSupport.findAnnotation(m, KitCase.class).map(KitCase::stress).orElse(true),
                HierarchyTraversalMode.TOP_DOWN);
        assertFalse(scenarios.isEmpty(), "the stress case found no scenarios to run");
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kit-stress");
            t.setDaemon(true);
            return t;
        });
        Map<String, Future<String>> outcomes = new java.util.LinkedHashMap<>();
        try {
            for (int round = 1; round <= rounds; round++) {
                for (Method m : scenarios) {
                    outcomes.put(m.getName() + " (round " + round + ")", pool.submit(() -> runScenario(m)));
                }
            }
            List<String> failures = new ArrayList<>();
            int skipped = 0;
            long deadline = System.nanoTime() + patience().multipliedBy(4L * rounds).toNanos();
            for (Map.Entry<String, Future<String>> e : outcomes.entrySet()) {
                String outcome;
                try {
                    outcome = e.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException t) {
                    outcome = "did not finish within " + patience().multipliedBy(4L * rounds) + " while all scenarios ran at once";
                }
                if (outcome.startsWith("skipped")) {
                    skipped++;
                } else if (!outcome.equals("passed")) {
                    failures.add(e.getKey() + ": " + outcome);
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " of " + outcomes.size() + " scenarios failed when run"
                    + " concurrently on one broker (" + skipped + " skipped) — a scenario that passes alone but fails"
                    + " here shares state it should not, or the transport mixes up concurrent subscriptions/confirms:\n  "
                    + String.join("\n  ", failures));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs one scenario in a fresh instance of this kit class: "passed", "skipped: …" or what failed. */
    private String runScenario(Method scenario) {
        TransportConformanceKit kit;
        try {
            java.lang.reflect.Constructor<? extends TransportConformanceKit> c = getClass().getDeclaredConstructor();
            c.setAccessible(true);
            kit = c.newInstance();
        } catch (ReflectiveOperationException e) {
            return "cannot make an instance of " + getClass().getName() + " (the kit needs a constructor without"
                    + " arguments): " + e;
        }
        String drift = knownDrift().get(scenario.getName());
        if (drift != null && !runDrift()) {
            return "skipped: known drift: " + drift;
        }
        kit.open();
        try {
            scenario.setAccessible(true);
            scenario.invoke(kit);
            return "passed";
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof org.opentest4j.TestAbortedException) {
                return "skipped: " + cause.getMessage();
            }
            return String.valueOf(cause);
        } catch (IllegalAccessException e) {
            return "cannot call the scenario: " + e;
        } finally {
            kit.cleanUp();
        }
    }

    // ---------------------------------------------------------------------------------------------

    @KitCase
    void eventFansOutToEveryService() {
        Map<String, Set<Integer>> seen = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        for (String svc : List.of("alpha", "beta")) {
            Set<Integer> got = ConcurrentHashMap.newKeySet();
            AtomicInteger n = new AtomicInteger();
            seen.put(svc, got);
            calls.put(svc, n);
            start(bus(svc).onEvent(Pinged.class, (e, ctx) -> {
                n.incrementAndGet();
                got.add(e.n());
            }));
        }
        MessageBus pub = start(bus("pub"));
        for (int i = 0; i < 20; i++) {
            join(pub.publish(new Pinged(i, "hi")), patience());
        }
        Await.until(patience(), () -> seen.get("alpha").size() == 20 && seen.get("beta").size() == 20,
                () -> "each service should get all 20 events; got " + seen
                        + " — check that every service has its own queue/subscription for the event");
        Await.stays(Duration.ofMillis(300), () -> calls.get("alpha").get() == 20 && calls.get("beta").get() == 20,
                () -> "each service should handle each event once; handler calls " + calls);
    }

    @KitCase
    void instancesOfOneServiceCompeteAndShareTheWork() {
        InMemoryDeduplicationStore shared = InMemoryDeduplicationStore.ofDefaults();
        Map<Integer, AtomicInteger> handled = new ConcurrentHashMap<>();
        AtomicInteger byA = new AtomicInteger();
        AtomicInteger byB = new AtomicInteger();
        start(bus("worker").instanceId("a").deduplicationStore(shared).concurrency(2).onEvent(Pinged.class, (e, ctx) -> {
            byA.incrementAndGet();
            handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet();
            Thread.sleep(1);
        }));
        start(bus("worker").instanceId("b").deduplicationStore(shared).concurrency(2).onEvent(Pinged.class, (e, ctx) -> {
            byB.incrementAndGet();
            handled.computeIfAbsent(e.n(), k -> new AtomicInteger()).incrementAndGet();
            Thread.sleep(1);
        }));
        MessageBus pub = start(bus("pub"));
        List<CompletableFuture<Void>> fs = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            fs.add(pub.publish(new Pinged(i, "w")));
        }
        join(CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])), patience());
        // a key appears (count 0) just before its handler counts it: wait for the counts, not the keys
        Await.until(patience(), () -> handled.size() == 200 && handled.values().stream().allMatch(c -> c.get() > 0),
                () -> "200 events should be handled, got " + handled.size());
        handled.forEach((n, c) -> assertEquals(1, c.get(), "event " + n + " handled more than once across instances"));
        assertTrue(byA.get() > 0 && byB.get() > 0, "both instances should share the work: a=" + byA + " b=" + byB
                + " — check that instances of one service consume from one shared queue/group");
    }

    @KitCase
    void rejectWithRequeueRedelivers() {
        require(Capability.REQUEUE, "MQTT has no requeue; retries republish instead");
        Transport t = raw();
        List<Delivery> got = new CopyOnWriteArrayList<>();
        t.subscribe(Address.command(Ping.class.getAnnotation(dev.courier.MessageName.class).value()), "rq", 4, d -> {
            got.add(d);
            if (got.size() == 1) {
                d.reject(true);
            } else {
                d.ack();
            }
        });
        String id = UUID.randomUUID().toString();
        join(t.publish(Address.command("v1.kit.ping"), headersFor("v1.kit.ping", id), json("{\"n\":1}")), patience());
        Await.until(patience(), () -> got.size() >= 2, () -> "a rejected (requeue) message should come again");
        assertEquals(id, got.get(1).headers().get(Headers.ID), "the redelivery should be the same message");
        assertTrue(got.get(1).redelivered(), "the second delivery should be flagged as redelivered");
    }

    @KitCase
    void duplicatesHaveTheirEffectOnceAlsoWhenConcurrent() throws Exception {
        Map<String, AtomicInteger> effects = new ConcurrentHashMap<>();
        start(bus("dedup").concurrency(4).onEvent(Pinged.class, (e, ctx) -> {
            effects.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger()).incrementAndGet();
            Thread.sleep(20);
        }));
        Transport t = raw();
        String id = UUID.randomUUID().toString();
        Map<String, String> h = headersFor("v1.kit.pinged", id);
        join(t.publish(Address.event("v1.kit.pinged"), h, json("{\"n\":1,\"text\":\"d\"}")), patience());
        join(t.publish(Address.event("v1.kit.pinged"), h, json("{\"n\":1,\"text\":\"d\"}")), patience());
        String concurrentId = UUID.randomUUID().toString();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<CompletableFuture<Void>> fs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                fs.add(CompletableFuture.supplyAsync(() -> t.publish(Address.event("v1.kit.pinged"),
                        headersFor("v1.kit.pinged", concurrentId), json("{\"n\":2,\"text\":\"c\"}")), pool).thenCompose(f -> f));
            }
            join(CompletableFuture.allOf(fs.toArray(new CompletableFuture[0])), patience());
        } finally {
            pool.shutdown();
        }
        String sentinel = UUID.randomUUID().toString();
        join(t.publish(Address.event("v1.kit.pinged"), headersFor("v1.kit.pinged", sentinel), json("{\"n\":3,\"text\":\"s\"}")), patience());
        // a key appears (count 0) just before its handler counts it: wait for the counts, not the keys
        Await.until(patience(), () -> List.of(id, concurrentId, sentinel).stream()
                        .allMatch(k -> effects.getOrDefault(k, new AtomicInteger()).get() > 0),
                () -> "all three ids should be handled, got " + effects);
        // copies that were in progress elsewhere come back later: give them time to come back and be suppressed
        Await.stays(Duration.ofSeconds(3), () -> effects.get(id).get() == 1 && effects.get(concurrentId).get() == 1,
                () -> "a duplicate had its effect twice: " + effects);
    }

    @KitCase
    void failingHandlerIsRetriedThenSucceeds() {
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        AtomicInteger succeeded = new AtomicInteger();
        start(bus("flaky").onEvent(Pinged.class, (e, ctx) -> {
            attempts.add(ctx.attempt());
            if (attempts.size() < 3) {
                throw new IllegalStateException("transient failure " + attempts.size());
            }
            succeeded.incrementAndGet();
        }));
        MessageBus pub = start(bus("pub"));
        join(pub.publish(new Pinged(7, "retry")), patience());
        Await.until(patience(), () -> succeeded.get() == 1, () -> "handler should succeed on attempt 3, attempts " + attempts);
        assertEquals(List.of(1, 2, 3), attempts, "attempts 1-2 immediate, 3 after a delayed redelivery");
        Await.stays(Duration.ofMillis(500), () -> succeeded.get() == 1, () -> "handled twice after success");
    }

    @KitCase
    void exhaustedRetriesDeadLetterWithDiagnosticsAndReplayGoesToThatServiceOnly() {
        AtomicInteger failing = new AtomicInteger(1);
        AtomicInteger handledByBad = new AtomicInteger();
        AtomicInteger handledByOther = new AtomicInteger();
        MessageBus bad = start(bus("bad").onEvent(Pinged.class, (e, ctx) -> {
            if (failing.get() == 1) {
                throw new IllegalStateException("boom " + e.n());
            }
            handledByBad.incrementAndGet();
        }));
        start(bus("other").onEvent(Pinged.class, (e, ctx) -> handledByOther.incrementAndGet()));
        MessageBus pub = start(bus("pub"));
        join(pub.publish(new Pinged(9, "doomed")), patience());
        Await.until(patience(), () -> !bad.deadLetters().list(10).isEmpty(), () -> "the message should be dead-lettered");
        DeadLetter dl = bad.deadLetters().list(10).get(0);
        assertEquals("v1.kit.pinged", dl.messageType());
        assertEquals(IllegalStateException.class.getName(), dl.errorType());
        assertEquals("boom 9", dl.errorMessage());
        assertEquals(4, dl.attempts(), "2 immediate attempts × (1 + 1 redelivery)");
        assertEquals("event:v1.kit.pinged", dl.address());
        for (String h : List.of(Headers.DL_STACK_TRACE, Headers.DL_SERVICE, Headers.DL_FIRST_FAILURE, Headers.DL_LAST_FAILURE)) {
            assertNotNull(dl.headers().get(h), "dead letter header " + h + " missing");
        }
        assertTrue(dl.headers().get(Headers.DL_STACK_TRACE).contains("IllegalStateException"));
        assertEquals("bad", dl.headers().get(Headers.DL_SERVICE));
        assertTrue(new String(dl.body(), StandardCharsets.UTF_8).contains("doomed"), "original bytes kept");
        Await.until(patience(), () -> handledByOther.get() == 1,
                () -> "the other service handles the event normally, handled " + handledByOther.get());

        failing.set(0);
        join(bad.deadLetters().replay(dl.messageId()), patience());
        Await.until(patience(), () -> handledByBad.get() == 1, () -> "the replayed dead letter should be handled");
        Await.until(patience(), () -> bad.deadLetters().list(10).isEmpty(), () -> "replay removes the dead letter");
        Await.stays(Duration.ofMillis(500), () -> handledByOther.get() == 1,
                () -> "replay must go to the failing service only, never through the fan-out");
    }

    @KitCase
    void undecodableMessagesAreDeadLetteredWithoutRetries() {
        AtomicInteger calls = new AtomicInteger();
        MessageBus svc = start(bus("strict").onEvent(Pinged.class, (e, ctx) -> calls.incrementAndGet()));
        Transport t = raw();
        String badJson = UUID.randomUUID().toString();
        join(t.publish(Address.event("v1.kit.pinged"), headersFor("v1.kit.pinged", badJson), json("{not json")), patience());
        String wrongType = UUID.randomUUID().toString();
        join(t.publish(Address.event("v1.kit.pinged"), headersFor("v1.kit.unknown", wrongType), json("{}")), patience());
        Map<String, String> noId = headersFor("v1.kit.pinged", "x");
        noId.remove(Headers.ID);
        join(t.publish(Address.event("v1.kit.pinged"), noId, json("{\"n\":1}")), patience());
        Await.until(patience(), () -> svc.deadLetters().list(10).size() == 3,
                () -> "3 undecodable messages should be dead-lettered, got " + svc.deadLetters().list(10).size());
        for (DeadLetter dl : svc.deadLetters().list(10)) {
            assertEquals(0, dl.attempts(), "no retries for undecodable " + dl.messageId());
            assertEquals(dev.courier.CodecException.class.getName(), dl.errorType());
        }
        assertEquals(0, calls.get(), "the handler never runs for undecodable messages");
    }

    @KitCase
    void requestGetsItsReplyAndTimesOutOrFailsClearly() {
        start(bus("pinger").onCommand(Ping.class, (p, ctx) -> {
            if (p.n() < 0) {
                throw new dev.courier.NonRetryableException("negative " + p.n());
            }
            if (p.n() == 0) {
                return; // never replies
            }
            ctx.reply(new Pong(p.n() + 1));
        }));
        MessageBus client = start(bus("client"));
        Pong pong = join(client.request(new Ping(41), Pong.class, Duration.ofSeconds(10)), patience());
        assertEquals(42, pong.n());

        CompletableFuture<Pong> silent = client.request(new Ping(0), Pong.class, Duration.ofMillis(500));
        try {
            silent.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            fail("a request without a reply must time out");
        } catch (Exception e) {
            assertInstanceOf(RequestTimeoutException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("v1.kit.ping"), "the timeout names the message");
        }

        CompletableFuture<Pong> failing = client.request(new Ping(-1), Pong.class, Duration.ofSeconds(20));
        try {
            failing.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            fail("a dead-lettered request must fail");
        } catch (Exception e) {
            assertInstanceOf(RemoteHandlerException.class, e.getCause(), "caller is told, not left to time out: " + e);
        }
    }

    @KitCase
    void requestsInOneChainAreMatchedByTheirOwnId() {
        start(bus("pinger").concurrency(4).onCommand(Ping.class, (p, ctx) -> ctx.reply(new Pong(p.n() * 10))));
        List<Integer> replies = new CopyOnWriteArrayList<>();
        start(bus("asker").onCommand(Hop.class, (h, ctx) -> {
            // two requests inside one handler share the correlation id; each must get its own reply
            CompletableFuture<Pong> a = ctx.request(new Ping(1), Pong.class, Duration.ofSeconds(10));
            CompletableFuture<Pong> b = ctx.request(new Ping(2), Pong.class, Duration.ofSeconds(10));
            replies.add(a.join().n());
            replies.add(b.join().n());
        }));
        MessageBus client = start(bus("client"));
        join(client.send(new Hop(1)), patience());
        Await.until(patience(), () -> replies.size() == 2, () -> "both nested requests should be answered, got " + replies);
        assertEquals(List.of(10, 20), replies);
    }

    @KitCase
    void correlationAndCausationFlowAcrossThreeHops() {
        Map<String, Envelope> seen = new ConcurrentHashMap<>();
        start(bus("one").onCommand(Ping.class, (p, ctx) -> {
            seen.put("one", ctx.envelope());
            ctx.publish(new Pinged(p.n() + 1, "from one"));
        }));
        start(bus("two").onEvent(Pinged.class, (e, ctx) -> {
            seen.put("two", ctx.envelope());
            ctx.send(new Hop(e.n() + 1));
        }));
        start(bus("three").onCommand(Hop.class, (h, ctx) -> seen.put("three", ctx.envelope())));
        Transport t = raw();
        String root = UUID.randomUUID().toString();
        Map<String, String> h = headersFor("v1.kit.ping", root);
        h.put(Headers.CORRELATION_ID, root);
        h.put(Headers.TRACEPARENT, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        join(t.publish(Address.command("v1.kit.ping"), h, json("{\"n\":0}")), patience());
        Await.until(patience(), () -> seen.containsKey("three"), () -> "the chain should reach service three, saw " + seen.keySet());
        Envelope one = seen.get("one");
        Envelope two = seen.get("two");
        Envelope three = seen.get("three");
        assertEquals(root, one.id());
        assertNull(one.causationId());
        assertEquals(root, two.correlationId());
        assertEquals(root, three.correlationId());
        assertEquals(one.id(), two.causationId(), "causation of hop 2 = id of hop 1");
        assertEquals(two.id(), three.causationId(), "causation of hop 3 = id of hop 2");
        assertEquals("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", one.header(Headers.TRACEPARENT));
        for (Envelope hop : List.of(two, three)) {
            String tp = hop.header(Headers.TRACEPARENT);
            assertTrue(tp != null && tp.startsWith("00-4bf92f3577b34da6a3ce929d0e0e4736-") && tp.endsWith("-01"),
                    "W3C trace context: the trace id and flags are carried like correlation, got " + tp);
        }
        assertEquals(3, new java.util.HashSet<>(List.of(one.header(Headers.TRACEPARENT), two.header(Headers.TRACEPARENT),
                three.header(Headers.TRACEPARENT))).size(), "each hop has a parent id of its own");
        assertEquals(3, Set.of(one.id(), two.id(), three.id()).size(), "ids are unique");
    }

    @KitCase
    void aOneMebibytePayloadArrivesIntact() {
        require(Capability.LARGE_MESSAGES, "the transport cannot carry 1 MiB messages");
        CompletableFuture<String> got = new CompletableFuture<>();
        start(bus("big").onEvent(BlobStored.class, (e, ctx) -> got.complete(e.data())));
        MessageBus pub = start(bus("pub"));
        char[] chars = new char[1024 * 1024];
        for (int i = 0; i < chars.length; i++) {
            chars[i] = (char) ('a' + i % 26);
        }
        String data = new String(chars);
        join(pub.publish(new BlobStored(data)), patience());
        assertEquals(data, join(got, patience()), "1 MiB payload must arrive byte for byte");
    }

    @KitCase
    void eightThreadsPublishingConcurrentlyAreAllDelivered() throws Exception {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        AtomicInteger calls = new AtomicInteger();
        start(bus("sink").concurrency(4).onEvent(Pinged.class, (e, ctx) -> {
            calls.incrementAndGet();
            ids.add(e.text());
        }));
        MessageBus pub = start(bus("pub"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<CompletableFuture<Void>> confirms = Collections.synchronizedList(new ArrayList<>());
        try {
            List<java.util.concurrent.Future<?>> workers = new ArrayList<>();
            for (int th = 0; th < 8; th++) {
                int thread = th;
                workers.add(pool.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        confirms.add(pub.publish(new Pinged(i, thread + ":" + i)));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> w : workers) {
                w.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdown();
        }
        join(CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])), patience().multipliedBy(2));
        Await.until(patience().multipliedBy(2), () -> ids.size() == 8000, () -> "8000 events expected, got " + ids.size());
        assertEquals(8000, calls.get(), "no message handled twice");
    }

    @KitCase
    void closeDuringLoadLosesNothing() {
        Set<Integer> handled = ConcurrentHashMap.newKeySet();
        InMemoryDeduplicationStore shared = InMemoryDeduplicationStore.ofDefaults();
        MessageBus first = start(bus("steady").instanceId("first").deduplicationStore(shared).concurrency(2)
                .onEvent(Pinged.class, (e, ctx) -> {
                    Thread.sleep(2);
                    handled.add(e.n());
                }));
        MessageBus pub = start(bus("pub"));
        List<CompletableFuture<Void>> confirms = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            confirms.add(pub.publish(new Pinged(i, "load")));
        }
        Await.until(patience(), () -> handled.size() > 50, () -> "the first instance should start handling");
        first.close();
        int byFirst = handled.size();
        join(CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])), patience());
        start(bus("steady").instanceId("second").deduplicationStore(shared).concurrency(2)
                .onEvent(Pinged.class, (e, ctx) -> handled.add(e.n())));
        Await.until(patience(), () -> handled.size() == 1000, () -> "every confirmed message is handled after close;"
                + " handled " + handled.size() + " (first instance had " + byFirst + ")"
                + " — check that close() never acks unfinished messages and returns unsettled ones");
    }

    @KitCase
    void commandWithNoHandlerFailsTheSend() {
        require(Capability.UNROUTABLE_DETECTED, "the protocol cannot report that nobody consumes a command");
        MessageBus client = start(bus("lonely"));
        CompletableFuture<Void> f = client.send(new Hop(1));
        try {
            f.get(patience().toMillis(), TimeUnit.MILLISECONDS);
            fail("a command nobody can take must fail, not vanish");
        } catch (Exception e) {
            assertInstanceOf(PublishException.class, e.getCause(), "expected a PublishException, got " + e);
        }
    }

    @KitCase
    void healthReportsConnectedAndLiveSubscriptions() {
        MessageBus b = start(bus("healthy").onEvent(Pinged.class, (e, ctx) -> { }));
        assertTrue(b.health().isHealthy(), "a started bus is healthy: " + b.health());
        assertFalse(b.health().transport().contains("guest:guest"), "health never shows credentials");
        b.close();
        assertFalse(b.health().isHealthy(), "a closed bus is not healthy");
    }
}
