package dev.courier.spi.support;

import dev.courier.ConfigurationException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import dev.courier.TransportConnectException;
import dev.courier.spi.Address;
import dev.courier.spi.Backoff;
import dev.courier.spi.StaleDeliveryException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The support package on its own: each rule the transports rely on, with a failure that says which. */
class SupportTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "support-test-scheduler");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService completions = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "support-test-completions");
        t.setDaemon(true);
        return t;
    });

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        completions.shutdownNow();
    }

    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("the future did not complete within 10 s", e);
        }
    }

    // ---- settle once

    private static final class TestDelivery extends SettleOnceDelivery {
        final AtomicInteger sends = new AtomicInteger();
        final AtomicInteger settledCalls = new AtomicInteger();
        volatile boolean stale;
        volatile CompletableFuture<Void> redeliverResult = CompletableFuture.completedFuture(null);

        TestDelivery() {
            super(Address.event("v1.thing.happened"), "svc", Map.of("id", "m1"), new byte[0], false);
        }

        @Override
        protected boolean isStale() {
            return stale;
        }

        @Override
        protected String staleReason() {
            return "its test connection closed";
        }

        @Override
        protected CompletableFuture<Void> sendAck() {
            sends.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected CompletableFuture<Void> sendReject(boolean requeue) {
            sends.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        protected CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay) {
            sends.incrementAndGet();
            return redeliverResult;
        }

        @Override
        protected void settled() {
            settledCalls.incrementAndGet();
        }
    }

    @Test
    void theFirstSettleWinsAndEveryLaterOneSendsNothing() throws Exception {
        TestDelivery d = new TestDelivery();
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<CompletableFuture<CompletableFuture<Void>>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int n = i;
                calls.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return n % 2 == 0 ? d.ack() : d.reject(false);
                }, pool));
            }
            go.countDown();
            for (CompletableFuture<CompletableFuture<Void>> c : calls) {
                assertNull(failure(c.get(10, TimeUnit.SECONDS)), "a double settle must complete normally");
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, d.sends.get(), "exactly one settle may reach the broker");
        assertEquals(1, d.settledCalls.get(), "settled() runs exactly once");
        assertTrue(d.isSettled());
    }

    @Test
    void aStaleSettleSendsNothingAndFailsAsStale() throws Exception {
        TestDelivery d = new TestDelivery();
        d.stale = true;
        Throwable e = failure(d.ack());
        assertInstanceOf(StaleDeliveryException.class, e, "a stale ack fails with StaleDeliveryException");
        assertTrue(e.getMessage().contains("m1") && e.getMessage().contains("its test connection closed"), e.getMessage());
        assertEquals(0, d.sends.get());
        assertEquals(1, d.settledCalls.get(), "a stale delivery frees its slot once");
        assertNull(failure(d.reject(true)), "a settle after the stale one is a no-op");
        assertEquals(1, d.settledCalls.get());
    }

    @Test
    void aFailedRedeliverLaterGivesTheClaimBack() throws Exception {
        TestDelivery d = new TestDelivery();
        d.redeliverResult = CompletableFuture.failedFuture(new PublishException("broker said no"));
        assertInstanceOf(PublishException.class, failure(d.redeliverLater(Map.of("id", "m1"), Duration.ofSeconds(1))));
        assertFalse(d.isSettled(), "nothing was settled, so the claim goes back");
        assertEquals(0, d.settledCalls.get());
        assertNull(failure(d.reject(true)));
        assertEquals(2, d.sends.get(), "the caller could settle it otherwise");
        assertEquals(1, d.settledCalls.get());
    }

    @Test
    void aDeliveryGivenBackByItsTransportFailsEverySettleAsStale() throws Exception {
        TestDelivery d = new TestDelivery();
        assertTrue(d.giveBack(), "the first give-back claims it");
        assertFalse(d.giveBack(), "only once");
        assertEquals(1, d.settledCalls.get());
        assertInstanceOf(StaleDeliveryException.class, failure(d.ack()));
        assertInstanceOf(StaleDeliveryException.class, failure(d.redeliverLater(Map.of(), Duration.ZERO)));
        assertEquals(0, d.sends.get(), "nothing reaches the broker after a give-back");
        assertEquals(1, d.settledCalls.get());
    }

    @Test
    void withoutANativeDelayTheFallbackHoldsThenCopiesToTheGroupAndAcks() throws Exception {
        dev.courier.spi.Transport t = new dev.courier.memory.InMemoryTransportProvider()
                .create(java.net.URI.create("memory:support-fallback"));
        t.start(new dev.courier.spi.TransportContext("svc", "i1", Duration.ofSeconds(5)));
        try {
            java.util.concurrent.LinkedBlockingQueue<dev.courier.spi.Delivery> got = new java.util.concurrent.LinkedBlockingQueue<>();
            t.subscribe(Address.event("v1.thing.happened"), "svc", 4, got::add);
            assertNull(failure(t.publish(Address.event("v1.thing.happened"), Map.of("id", "m1"), new byte[] {1})));
            dev.courier.spi.Delivery original = got.poll(10, TimeUnit.SECONDS);
            AtomicInteger acks = new AtomicInteger();
            dev.courier.spi.Delivery plain = new dev.courier.spi.Delivery() { // no DelayedRedelivery
                public Address address() {
                    return original.address();
                }

                public String group() {
                    return original.group();
                }

                public Map<String, String> headers() {
                    return original.headers();
                }

                public byte[] body() {
                    return original.body();
                }

                public boolean redelivered() {
                    return original.redelivered();
                }

                public CompletableFuture<Void> ack() {
                    acks.incrementAndGet();
                    return original.ack();
                }

                public CompletableFuture<Void> reject(boolean requeue) {
                    return original.reject(requeue);
                }
            };
            long t0 = System.nanoTime();
            CompletableFuture<Void> later = Redeliveries.later(plain, Map.of("id", "m1", "courierredelivery", "1"),
                    Duration.ofMillis(300), t, scheduler);
            assertNull(failure(later));
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 300, "held for the delay");
            assertEquals(1, acks.get(), "the original is acked once the copy is durable");
            dev.courier.spi.Delivery copy = got.poll(10, TimeUnit.SECONDS);
            assertEquals("1", copy.headers().get("courierredelivery"), "the copy carries the new headers");
            assertEquals("svc", copy.group());
        } finally {
            t.close();
        }
    }

    // ---- confirm tracker and gate

    @Test
    void confirmsCompleteOnTheCompletionsExecutorAndGiveTheirPlaceBack() throws Exception {
        PublishGate gate = new PublishGate(4);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            var a = t.open("a", "message a", Duration.ofSeconds(30));
            var b = t.open("b", "message b", Duration.ofSeconds(30));
            var c = t.open("c", "message c", Duration.ofSeconds(30));
            t.sent(1, a);
            t.sent(2, b);
            t.sent(3, c);
            assertEquals(3, gate.inFlight());
            AtomicReference<String> thread = new AtomicReference<>();
            CompletableFuture<Void> seen = a.future().whenComplete((x, e) -> thread.set(Thread.currentThread().getName()));
            t.confirmUpTo(2);
            assertNull(failure(seen));
            assertNull(failure(b.future()));
            assertEquals("support-test-completions", thread.get(), "futures complete on the completions executor");
            t.fail(3, new PublishException("nack"));
            assertInstanceOf(PublishException.class, failure(c.future()));
            t.confirm(3); // late duplicate: ignored
            assertEquals(0, gate.inFlight(), "every settled publish gives its place back exactly once");
        }
    }

    @Test
    void aConfirmThatNeverComesTimesOutWithinOneSweepOfTheDeadline() throws Exception {
        PublishGate gate = new PublishGate(4);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            long start = System.nanoTime();
            var p = t.open("a", "message a", Duration.ofMillis(200));
            t.sent(7, p);
            Throwable e = failure(p.future());
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertInstanceOf(PublishTimeoutException.class, e);
            assertTrue(e.getMessage().contains("test-broker") && e.getMessage().contains("message a"), e.getMessage());
            assertTrue(took >= 200, "not before the deadline: " + took + " ms");
            assertEquals(0, gate.inFlight());
        }
    }

    @Test
    void aShortDeadlineAfterLongOnesStillTimesOutOnTime() throws Exception {
        // the sweep skips while nothing is due; a later publish with an earlier deadline (sent or parked)
        // must still be failed within one sweep of its deadline
        PublishGate gate = new PublishGate(8);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            var longOne = t.open("a", "message a", Duration.ofSeconds(60));
            t.sent(1, longOne);
            Thread.yield();
            long start = System.nanoTime();
            var shortSent = t.open("b", "message b", Duration.ofMillis(150));
            t.sent(2, shortSent);
            var shortParked = t.open("c", "message c", Duration.ofMillis(250));
            t.park(shortParked);
            assertInstanceOf(PublishTimeoutException.class, failure(shortSent.future()));
            assertInstanceOf(PublishTimeoutException.class, failure(shortParked.future()));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took < 5_000, "timed out within a few sweeps of the deadline, took " + took + " ms");
            assertFalse(longOne.isDone(), "the long one still waits");
            t.confirm(1);
            assertNull(longOne.future().get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void aTextNoteIsNamedInTheTimeoutOfItsPublish() throws Exception {
        PublishGate gate = new PublishGate(4);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            var p = t.open("a", "message a", Duration.ofMillis(100));
            t.sent(1, p);
            p.note("held back by the broker's rate limit of 0.5 messages/s");
            Throwable e = failure(p.future());
            assertInstanceOf(PublishTimeoutException.class, e);
            assertTrue(e.getMessage().contains("held back by the broker's rate limit"), e.getMessage());
        }
    }

    @Test
    void aFullWindowWaitsForThePublishTimeoutThenFailsTheFuture() throws Exception {
        PublishGate gate = new PublishGate(1);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            var first = t.open("a", "message a", Duration.ofSeconds(30));
            t.sent(1, first);
            long start = System.nanoTime();
            var second = t.open("b", "message b", Duration.ofMillis(300));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(second.isDone(), "not admitted");
            assertInstanceOf(PublishTimeoutException.class, failure(second.future()));
            assertTrue(waited >= 300, "a full window waits up to the publish timeout, waited " + waited + " ms");
            t.confirm(1);
            var third = t.open("c", "message c", Duration.ofMillis(300));
            assertFalse(third.isDone(), "room again after the confirm");
        }
    }

    @Test
    void unconfirmedPublishesAreParkedOnALossAndResumedOnTheNextConnection() throws Exception {
        PublishGate gate = new PublishGate(8);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime)) {
            var a = t.open("a", "message a", Duration.ofSeconds(30));
            var b = t.open("b", "message b", Duration.ofSeconds(30));
            t.sent(1, a);
            t.sent(2, b);
            t.confirm(1);
            t.parkAll();
            List<ConfirmTracker.Pending<String>> again = t.resume();
            assertEquals(List.of("b"), again.stream().map(ConfirmTracker.Pending::message).toList());
            t.sent(1, again.get(0)); // the new connection counts from 1 again
            t.confirm(1);
            assertNull(failure(b.future()));
            assertEquals(0, t.size());
            assertEquals(0, gate.inFlight());
        }
    }

    @Test
    void closeFailsWhatWaitsAndRefusesNewPublishes() throws Exception {
        PublishGate gate = new PublishGate(8);
        ConfirmTracker<String> t = new ConfirmTracker<>("test-broker", gate, completions, scheduler, System::nanoTime);
        var a = t.open("a", "message a", Duration.ofSeconds(30));
        t.park(a);
        t.close();
        assertInstanceOf(PublishException.class, failure(a.future()));
        var b = t.open("b", "message b", Duration.ofSeconds(30));
        assertTrue(b.isDone());
        assertTrue(failure(b.future()).getMessage().contains("closed"));
        assertEquals(0, gate.inFlight());
    }

    // ---- reconnector

    private static Backoff fast() {
        return Backoff.custom().initialDelay(Duration.ofMillis(10)).maxDelay(Duration.ofMillis(40)).build();
    }

    private static final class Conn {
    }

    private static class FlakyLink implements Reconnector.Link<Conn> {
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger ups = new AtomicInteger();
        final AtomicInteger closes = new AtomicInteger();
        volatile int failFirst;
        volatile RuntimeException always;
        final CountDownLatch reconnected = new CountDownLatch(1);

        @Override
        public Conn open() throws Exception {
            int n = opens.incrementAndGet();
            if (always != null) {
                throw always;
            }
            if (n <= failFirst) {
                throw new java.net.ConnectException("Connection refused (attempt " + n + ")");
            }
            return new Conn();
        }

        @Override
        public void up(Conn connection, boolean first) {
            ups.incrementAndGet();
            if (!first) {
                reconnected.countDown();
            }
        }

        @Override
        public void close(Conn connection) {
            closes.incrementAndGet();
        }
    }

    @Test
    void startRetriesUntilTheBrokerAnswers() {
        FlakyLink link = new FlakyLink();
        link.failFirst = 3;
        try (Reconnector<Conn> r = new Reconnector<>("test-broker", link, fast(), scheduler)) {
            Conn c = r.start(Duration.ofSeconds(10));
            assertTrue(r.isConnected());
            assertEquals(c, r.current());
            assertEquals(4, link.opens.get(), "three refusals, then the connection");
        }
    }

    @Test
    void startGivesUpAtTheStartTimeoutWithTransportConnectException() {
        FlakyLink link = new FlakyLink();
        link.failFirst = Integer.MAX_VALUE;
        try (Reconnector<Conn> r = new Reconnector<>("test-broker:1", link, fast(), scheduler)) {
            long start = System.nanoTime();
            TransportConnectException e = assertThrows(TransportConnectException.class, () -> r.start(Duration.ofMillis(300)));
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= 250 && took < 5_000, "gives up at the start timeout, took " + took + " ms");
            assertTrue(e.getMessage().contains("test-broker:1") && e.getMessage().contains("Connection refused"),
                    e.getMessage());
            assertInstanceOf(java.net.ConnectException.class, e.getCause());
            assertTrue(link.opens.get() > 1, "retried");
        }
    }

    @Test
    void aConfigurationRefusalEndsStartAtOnce() {
        FlakyLink link = new FlakyLink();
        link.always = new ConfigurationException("ACCESS_REFUSED: bad credentials");
        try (Reconnector<Conn> r = new Reconnector<>("test-broker", link, fast(), scheduler)) {
            assertThrows(ConfigurationException.class, () -> r.start(Duration.ofSeconds(30)));
            assertEquals(1, link.opens.get());
        }
    }

    @Test
    void aLostConnectionIsReplacedOnTheSchedulerAndPreparedFirst() throws Exception {
        FlakyLink link = new FlakyLink();
        try (Reconnector<Conn> r = new Reconnector<>("test-broker", link, fast(), scheduler)) {
            Conn first = r.start(Duration.ofSeconds(5));
            link.failFirst = link.opens.get() + 2; // the next two attempts fail
            r.lost(first, new java.io.IOException("connection reset"));
            assertFalse(r.isConnected() && r.current() == first);
            assertTrue(link.reconnected.await(10, TimeUnit.SECONDS), "reconnected");
            Conn second = r.await(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            assertTrue(second != null && second != first);
            r.lost(first, null); // an old connection's late report changes nothing
            assertEquals(second, r.current());
        }
    }

    @Test
    void aConnectionLostWhileItIsPreparedNeverBecomesCurrent() throws Exception {
        AtomicReference<Reconnector<Conn>> self = new AtomicReference<>();
        AtomicInteger ups = new AtomicInteger();
        FlakyLink link = new FlakyLink() {
            @Override
            public void up(Conn connection, boolean first) {
                if (ups.incrementAndGet() == 1) {
                    self.get().lost(connection, new java.io.IOException("dropped during up")); // the listener fired
                }
            }
        };
        try (Reconnector<Conn> r = new Reconnector<>("test-broker", link, fast(), scheduler)) {
            self.set(r);
            Conn c = r.start(Duration.ofSeconds(10));
            assertEquals(2, link.opens.get(), "the connection lost during up() was not used; the next attempt was");
            assertEquals(c, r.current());
            assertEquals(1, link.closes.get(), "the lost one was closed");
        }
    }

    @Test
    void hasParkedTellsWhetherAnythingWaitsForAConnection() throws Exception {
        PublishGate gate = new PublishGate(4);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("b", gate, completions, scheduler, System::nanoTime)) {
            assertFalse(t.hasParked());
            ConfirmTracker.Pending<String> p = t.open("m", "m", Duration.ofSeconds(5));
            t.park(p);
            assertTrue(t.hasParked());
            assertEquals(List.of(p), t.resume());
            assertFalse(t.hasParked());
            t.complete(p, null);
            assertNull(failure(p.future()));
        }
    }

    @Test
    void aConnectionFoundClosedOnceCurrentIsReplaced() throws Exception {
        java.util.Set<Conn> dead = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicReference<Reconnector<Conn>> self = new AtomicReference<>();
        FlakyLink link = new FlakyLink() {
            @Override
            public void up(Conn connection, boolean first) {
                super.up(connection, first);
                if (first) {
                    dead.add(connection);
                    // it dropped before the reconnector knew it, and its loss report never came
                }
            }

            @Override
            public boolean isOpen(Conn connection) {
                return !dead.contains(connection);
            }
        };
        try (Reconnector<Conn> r = new Reconnector<>("test-broker", link, fast(), scheduler)) {
            self.set(r);
            Conn first = r.start(Duration.ofSeconds(5));
            assertTrue(link.reconnected.await(10, TimeUnit.SECONDS), "the dead first connection was replaced");
            Conn second = r.await(System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            assertTrue(second != null && second != first, "a new connection is current");
        }
    }

    @Test
    void resumeWithAMaximumHandsBackTheOldestAndKeepsTheRestInOrder() throws Exception {
        PublishGate gate = new PublishGate(8);
        try (ConfirmTracker<String> t = new ConfirmTracker<>("b", gate, completions, scheduler, System::nanoTime)) {
            List<ConfirmTracker.Pending<String>> ps = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ConfirmTracker.Pending<String> p = t.open("m" + i, "m" + i, Duration.ofSeconds(5));
                t.park(p);
                ps.add(p);
            }
            assertEquals(ps.subList(0, 2), t.resume(2));
            assertEquals(List.of(), t.resume(0));
            assertEquals(ps.subList(2, 5), t.resume(10));
            assertFalse(t.hasParked());
        }
    }

    @Test
    void closeWakesAStartThatWaitsForItsNextAttempt() throws Exception {
        FlakyLink link = new FlakyLink();
        link.failFirst = Integer.MAX_VALUE;
        Backoff slow = Backoff.custom().initialDelay(Duration.ofSeconds(20)).maxDelay(Duration.ofSeconds(20)).jitter(0)
                .build();
        Reconnector<Conn> r = new Reconnector<>("test-broker", link, slow, scheduler);
        CompletableFuture<Throwable> started = CompletableFuture.supplyAsync(() -> {
            try {
                r.start(Duration.ofSeconds(60));
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
        while (link.opens.get() == 0) {
            Thread.onSpinWait();
        }
        long t0 = System.nanoTime();
        r.close();
        Throwable e = started.get(10, TimeUnit.SECONDS);
        assertInstanceOf(TransportConnectException.class, e);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5_000, "close did not wake the start");
    }

    // ---- transport URI

    @Test
    void oneUriParserReadsHostsCredentialsPathAndTypedParameters() {
        TransportUri u = TransportUri.parse("amqps://us%40er:p%3Ass@h1:5671,h2,[::1]:5999/%2F?prefetch=50&startTimeout=2s"
                + "&heartbeat=PT30S&tls=true");
        assertEquals("amqps", u.scheme());
        assertEquals("us@er", u.username());
        assertEquals("p:ss", u.password());
        assertEquals("/", u.path());
        assertEquals(List.of(new TransportUri.HostPort("h1", 5671), new TransportUri.HostPort("h2", 5672),
                new TransportUri.HostPort("::1", 5999)), u.hosts(5672));
        assertEquals(50, u.integer("prefetch", 10, 1, 65_535));
        assertEquals(Duration.ofSeconds(2), u.duration("startTimeout", null));
        assertEquals(Duration.ofSeconds(30), u.duration("heartbeat", null));
        assertTrue(u.bool("tls", false));
        u.check("AMQP");
    }

    @Test
    void everyBadParameterIsNamedAtOnce() {
        TransportUri u = TransportUri.parse("mqtt://h?prefetch=0&timeout=soon&colour=blue");
        u.integer("prefetch", 10, 1, 100);
        u.duration("timeout", null);
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> u.check("MQTT"));
        assertTrue(e.getMessage().contains("prefetch") && e.getMessage().contains("timeout")
                && e.getMessage().contains("colour"), e.getMessage());
    }

    @Test
    void oneDurationSyntax() {
        assertEquals(Duration.ofMillis(500), TransportUri.parseDuration("500ms"));
        assertEquals(Duration.ofSeconds(5), TransportUri.parseDuration("5s"));
        assertEquals(Duration.ofSeconds(5), TransportUri.parseDuration("5"));
        assertEquals(Duration.ofMinutes(2), TransportUri.parseDuration("2m"));
        assertEquals(Duration.ofMillis(1500), TransportUri.parseDuration("PT1.5S"));
        assertEquals(Duration.ofHours(1), TransportUri.parseDuration("pt1h"));
        assertThrows(ConfigurationException.class, () -> TransportUri.parseDuration("-PT1S"));
        assertThrows(ConfigurationException.class, () -> TransportUri.parseDuration("5 seconds"));
    }

    @Test
    void oneRedactorHidesPasswordsAndSecretParameters() {
        assertEquals("amqp://guest:***@h1,h2/vh?prefetch=5&password=***",
                TransportUri.redact("amqp://guest:s3cret@h1,h2/vh?prefetch=5&password=x"));
        assertEquals("ws://hub/ws?token=***", TransportUri.redact("ws://hub/ws?token=abc"));
        assertEquals("mqtt://h:1883", TransportUri.redact("mqtt://h:1883"));
        assertEquals("mqtt://user@h", TransportUri.redact("mqtt://user@h"));
        assertFalse(TransportUri.parse("amqp://a:topsecret@h").toString().contains("topsecret"));
    }
}
