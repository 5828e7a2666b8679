package dev.courier.jdbc;

import dev.courier.ConfigurationException;
import dev.courier.kit.Await;
import dev.courier.spi.DeduplicationStore.Claim;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The inbox's states, leases, races and purging against the real databases. */
class JdbcInboxTest {
    private static final Duration LONG = Duration.ofMinutes(5);
    private final List<JdbcInbox> inboxes = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        inboxes.forEach(JdbcInbox::close);
        Databases.dropCreatedTables();
    }

    private JdbcInbox inbox(Databases.Db db, String table) {
        return inbox(db, table, JdbcInbox.DEFAULT_RETENTION, 1000);
    }

    private JdbcInbox inbox(Databases.Db db, String table, Duration retention, int batch) {
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(table).retention(retention)
                .purgeInterval(Duration.ZERO).purgeBatchSize(batch).build();
        inboxes.add(inbox);
        return inbox.createSchema();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void claimCompleteAndReleaseFollowTheStates(Databases.Kind kind) {
        Databases.Db db = Databases.get(kind);
        String table = db.table("inbox");
        JdbcInbox a = inbox(db, table);
        JdbcInbox b = JdbcInbox.builder(db.dataSource).table(table).purgeInterval(Duration.ZERO).build();
        inboxes.add(b);

        assertEquals(Claim.ACQUIRED, a.claim("billing", "m1", LONG));
        assertEquals(Claim.IN_PROGRESS, b.claim("billing", "m1", LONG), "a live claim blocks other instances");
        assertEquals(Claim.IN_PROGRESS, a.claim("billing", "m1", LONG), "and the same instance");
        assertEquals(Claim.ACQUIRED, a.claim("shipping", "m1", LONG), "services are independent");
        b.release("billing", "m1");
        assertEquals(Claim.IN_PROGRESS, b.claim("billing", "m1", LONG), "a release never removes another's claim");
        a.release("billing", "m1");
        assertEquals(Claim.ACQUIRED, b.claim("billing", "m1", LONG), "released: can be handled again");
        b.complete("billing", "m1");
        assertEquals(Claim.DONE, a.claim("billing", "m1", LONG));
        a.release("billing", "m1");
        assertEquals(Claim.DONE, a.claim("billing", "m1", LONG), "release does not forget a done id");
        a.complete("billing", "never-claimed");
        assertEquals(Claim.DONE, b.claim("billing", "never-claimed", LONG), "complete works without a claim");
        assertEquals(Claim.ACQUIRED, a.claim("billing", "M1", LONG), "ids compare exactly, case included");
        a.createSchema();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void anExpiredLeaseIsTakenOver(Databases.Kind kind) {
        Databases.Db db = Databases.get(kind);
        String table = db.table("inbox");
        JdbcInbox crashed = inbox(db, table);
        JdbcInbox survivor = JdbcInbox.builder(db.dataSource).table(table).purgeInterval(Duration.ZERO).build();
        inboxes.add(survivor);
        assertEquals(Claim.ACQUIRED, crashed.claim("billing", "m1", Duration.ofMillis(300)));
        assertEquals(Claim.IN_PROGRESS, survivor.claim("billing", "m1", LONG));
        Await.until(Duration.ofSeconds(10), () -> survivor.claim("billing", "m1", LONG) == Claim.ACQUIRED,
                () -> "the expired claim was not taken over");
        crashed.release("billing", "m1");
        assertEquals(Claim.IN_PROGRESS, crashed.claim("billing", "m1", LONG),
                "the late release of the crashed claimant must not remove the survivor's claim");
        crashed.complete("billing", "m1");
        assertEquals(Claim.DONE, survivor.claim("billing", "m1", LONG));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void exactlyOneOfManyRacingClaimsWins(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String table = db.table("inbox");
        JdbcInbox[] stores = {inbox(db, table), JdbcInbox.builder(db.dataSource).table(table).purgeInterval(Duration.ZERO).build()};
        inboxes.add(stores[1]);
        int ids = 300;
        int racers = 6;
        ConcurrentHashMap<String, AtomicInteger> wins = new ConcurrentHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> all = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                JdbcInbox store = stores[r % 2];
                all.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < ids; i++) {
                        String id = "race-" + i;
                        if (store.claim("billing", id, LONG) == Claim.ACQUIRED) {
                            wins.computeIfAbsent(id, x -> new AtomicInteger()).incrementAndGet();
                            if (i % 2 == 0) {
                                store.complete("billing", id);
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(ids, wins.size(), "every id claimed once");
        wins.forEach((id, n) -> assertEquals(1, n.get(), id + " was acquired " + n + " times"));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void purgeDeletesOldRowsInBoundedBatchesAndKeepsLiveClaims(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String table = db.table("inbox");
        JdbcInbox inbox = inbox(db, table, Duration.ofMillis(500), 400);
        for (int i = 0; i < 1000; i++) {
            inbox.complete("billing", "old-" + i);
        }
        inbox.claim("billing", "live-claim", LONG);
        inbox.claim("billing", "dead-claim", Duration.ofMillis(1));
        Await.until(Duration.ofSeconds(10), () -> db.count("SELECT COUNT(*) FROM " + table
                + " WHERE updated_at < " + (kind == Databases.Kind.POSTGRES ? "CURRENT_TIMESTAMP - INTERVAL '600 milliseconds'"
                : "UTC_TIMESTAMP(6) - INTERVAL 600000 MICROSECOND")) == 1002, () -> "rows did not age");
        inbox.complete("billing", "fresh");
        assertEquals(1001, inbox.purge(), "1000 done and one dead claim, in batches of 400");
        assertEquals(2, db.count("SELECT COUNT(*) FROM " + table), "the live claim and the fresh id stay");
        assertEquals(Claim.IN_PROGRESS, inbox.claim("billing", "live-claim", LONG));
        assertEquals(Claim.DONE, inbox.claim("billing", "fresh", LONG));
        assertEquals(Claim.ACQUIRED, inbox.claim("billing", "old-1", LONG), "a purged id is forgotten");
    }

    @Test
    void buildNamesEveryBadSetting() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> JdbcInbox.builder(null)
                .table("drop table;").retention(Duration.ZERO).purgeInterval(Duration.ofSeconds(-1)).purgeBatchSize(0).build());
        assertEquals(5, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().contains("inbox table"), e.getMessage());
        assertTrue(e.getMessage().contains("inbox retention"), e.getMessage());
        assertTrue(e.getMessage().contains("purgeBatchSize"), e.getMessage());
    }

    @Test
    void scriptsRenameTablesAndIndexes() {
        List<String> pg = Schema.statements("inbox", new PostgresDialect(), "app.my_inbox");
        assertEquals(2, pg.size());
        assertTrue(pg.get(0).startsWith("CREATE TABLE IF NOT EXISTS app.my_inbox ("), pg.get(0));
        assertEquals("CREATE INDEX IF NOT EXISTS my_inbox_updated ON app.my_inbox (updated_at)", pg.get(1));
        assertTrue(Schema.statements("outbox", new MariaDbDialect(true), "o").get(0).contains("KEY o_pending"));
    }
}
