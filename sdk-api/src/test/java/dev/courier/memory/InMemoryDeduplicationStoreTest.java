package dev.courier.memory;

import dev.courier.ConfigurationException;
import dev.courier.spi.DeduplicationStore.Claim;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class InMemoryDeduplicationStoreTest {

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.get());
        }
    }

    private static final Duration LEASE = Duration.ofSeconds(30);

    @Test
    void claimDoneAndRelease() {
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.ofDefaults();
        assertEquals(Claim.ACQUIRED, s.claim("a", "m1", LEASE));
        assertEquals(Claim.IN_PROGRESS, s.claim("a", "m1", LEASE), "a claimed id is never handed out twice");
        assertEquals(Claim.ACQUIRED, s.claim("b", "m1", LEASE), "services are independent");
        s.release("a", "m1");
        assertEquals(Claim.ACQUIRED, s.claim("a", "m1", LEASE), "a released id can be handled again");
        s.complete("a", "m1");
        assertEquals(Claim.DONE, s.claim("a", "m1", LEASE));
        assertEquals(1, s.size("a"));
    }

    @Test
    void anExpiredLeaseCanBeTakenOver() {
        TestClock clock = new TestClock();
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(100, Duration.ofHours(1), clock);
        assertEquals(Claim.ACQUIRED, s.claim("a", "m", LEASE));
        clock.millis.addAndGet(LEASE.toMillis() + 1);
        assertEquals(Claim.ACQUIRED, s.claim("a", "m", LEASE), "a crashed claimant's claim expires");
    }

    @Test
    void boundedByCountForgettingTheOldestFirst() {
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(1000, Duration.ofHours(1));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            String id = i % 2 == 0 ? UUID.randomUUID().toString() : "order-" + i;
            ids.add(id);
            s.claim("svc", id, LEASE);
            s.complete("svc", id);
        }
        assertEquals(1000, s.size("svc"), "never more than maxEntries");
        for (int i = 4000; i < 5000; i++) {
            assertEquals(Claim.DONE, s.claim("svc", ids.get(i), LEASE), "recent id " + i + " is remembered");
        }
        assertEquals(Claim.ACQUIRED, s.claim("svc", ids.get(0), LEASE), "the oldest is forgotten");
        assertEquals(1, s.claimsInProgress());
    }

    @Test
    void boundedByAge() {
        TestClock clock = new TestClock();
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(1000, Duration.ofMinutes(10), clock);
        s.claim("svc", "old", LEASE);
        s.complete("svc", "old");
        clock.millis.addAndGet(Duration.ofMinutes(5).toMillis());
        s.claim("svc", "newer", LEASE);
        s.complete("svc", "newer");
        clock.millis.addAndGet(Duration.ofMinutes(6).toMillis());
        assertEquals(Claim.ACQUIRED, s.claim("svc", "old", LEASE), "older than maxAge is forgotten");
        assertEquals(Claim.DONE, s.claim("svc", "newer", LEASE));
    }

    @Test
    void concurrentClaimsOfOneIdGiveExactlyOneOwner() throws Exception {
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.ofDefaults();
        for (int round = 0; round < 200; round++) {
            String id = UUID.randomUUID().toString();
            AtomicInteger acquired = new AtomicInteger();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (s.claim("svc", id, LEASE) == Claim.ACQUIRED) {
                        acquired.incrementAndGet();
                    }
                });
                th.start();
                threads.add(th);
            }
            go.countDown();
            for (Thread th : threads) {
                th.join();
            }
            assertEquals(1, acquired.get(), "round " + round);
        }
    }

    @Test
    void badBoundsAreRefusedByName() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> InMemoryDeduplicationStore.of(0, Duration.ZERO));
        assertEquals(2, e.problems().size(), e.getMessage());
    }

    /**
     * Ids in UUID form are remembered as their 128 bits, read as UUID.fromString reads them (so the
     * case of the hex digits does not matter); UUID-shaped ids that are not hex are hashed, and never
     * mistaken for another id.
     */
    @Test
    void uuidIdsAreTheirBitsWhateverTheCaseAndOtherIdsAreHashed() {
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(10_000, Duration.ofHours(1));
        java.util.Random r = new java.util.Random(17);
        for (int i = 0; i < 2000; i++) {
            String id = new UUID(r.nextLong(), r.nextLong()).toString();
            assertEquals(Claim.ACQUIRED, s.claim("a", id, LEASE));
            s.complete("a", id);
            assertEquals(Claim.DONE, s.claim("a", id.toUpperCase(java.util.Locale.ROOT), LEASE));
            assertEquals(Claim.DONE, s.claim("a", new String(id), LEASE), "an equal String, not the same object");
        }
        String[] odd = {"gggggggg-gggg-gggg-gggg-gggggggggggg", "0000000z-0000-0000-0000-000000000001",
                "00000000-0000-0000-0000-00000000000g", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                "00000000-0000-0000-0000-000000000000", "12345678-1234-1234-1234-1234567890ab"};
        for (String id : odd) {
            assertEquals(Claim.ACQUIRED, s.claim("b", id, LEASE), id);
            s.complete("b", id);
        }
        for (String id : odd) {
            assertEquals(Claim.DONE, s.claim("b", id, LEASE), id);
        }
        assertEquals(Claim.ACQUIRED, s.claim("b", "00000000-0000-0000-0000-000000000001", LEASE),
                "a different id is not done");
        assertEquals(Claim.DONE, s.claim("b", "12345678-1234-1234-1234-1234567890AB", LEASE));
    }

    /** Done ids against a plain model (remember the newest {@code capacity}), through many evictions. */
    @Test
    void rememberedIdsMatchAModelThroughEvictions() {
        for (int capacity : new int[] {1, 3, 100, 1000}) {
            InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(capacity, Duration.ofHours(1));
            java.util.LinkedHashSet<String> model = new java.util.LinkedHashSet<>();
            java.util.Random r = new java.util.Random(capacity);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3 * capacity + 50; i++) {
                ids.add(r.nextBoolean() ? new UUID(r.nextLong(), r.nextLong()).toString() : "order-" + r.nextInt(1_000_000));
            }
            for (int i = 0; i < 20 * capacity + 200; i++) {
                String id = ids.get(r.nextInt(ids.size()));
                Claim c = s.claim("svc", id, LEASE);
                assertEquals(model.contains(id) ? Claim.DONE : Claim.ACQUIRED, c, id);
                if (c == Claim.ACQUIRED) {
                    s.complete("svc", id);
                    model.add(id);
                    if (model.size() > capacity) {
                        model.remove(model.iterator().next());
                    }
                }
            }
            assertEquals(model.size(), s.size("svc"));
        }
    }

    /**
     * Claims in progress against a plain model, many open at once (the table grows and shifts entries
     * back on removal), across two services, with releases, completions and distinct String objects
     * of the same id.
     */
    @Test
    void claimsInProgressMatchAModel() {
        TestClock clock = new TestClock();
        InMemoryDeduplicationStore s = InMemoryDeduplicationStore.of(100_000, Duration.ofHours(1), clock);
        java.util.Map<String, java.util.Set<String>> open = new java.util.HashMap<>();
        java.util.Map<String, java.util.Set<String>> done = new java.util.HashMap<>();
        java.util.Random r = new java.util.Random(17);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ids.add(r.nextBoolean() ? new UUID(r.nextLong(), r.nextLong()).toString() : "order-" + i);
        }
        for (int step = 0; step < 40_000; step++) {
            String service = r.nextInt(4) == 0 ? "b" : "a";
            String id = new String(ids.get(r.nextInt(ids.size()))); // the same id, another String
            java.util.Set<String> o = open.computeIfAbsent(service, x -> new java.util.HashSet<>());
            java.util.Set<String> d = done.computeIfAbsent(service, x -> new java.util.HashSet<>());
            int action = r.nextInt(10);
            if (action < 6) {
                Claim expected = d.contains(id) ? Claim.DONE : o.contains(id) ? Claim.IN_PROGRESS : Claim.ACQUIRED;
                assertEquals(expected, s.claim(service, id, LEASE), id);
                if (expected == Claim.ACQUIRED) {
                    o.add(id);
                }
            } else if (action < 8) {
                s.release(service, id);
                o.remove(id);
            } else if (o.contains(id)) {
                s.complete(service, id);
                o.remove(id);
                d.add(id);
            }
            assertEquals(open.values().stream().mapToInt(java.util.Set::size).sum(), s.claimsInProgress());
        }
        assertEquals(done.getOrDefault("a", java.util.Set.of()).size(), s.size("a"));
        assertEquals(done.getOrDefault("b", java.util.Set.of()).size(), s.size("b"));
    }
}
