package dev.courier.jdbc;

import dev.courier.ConfigurationException;
import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.IssueInvoice;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The outbox and its relay against the real databases, on the in-memory transport. */
class OutboxTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final String broker = "outbox-" + UUID.randomUUID();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Databases.dropCreatedTables();
    }

    private <T extends AutoCloseable> T closing(T t) {
        toClose.add(t);
        return t;
    }

    private MessageBus producer(String instance) {
        return closing(MessageBus.builder("ordering").instanceId(instance).transport("memory:" + broker)
                .produces(OrderPlaced.class, IssueInvoice.class).build()).start();
    }

    /**
     * A consumer of OrderPlaced events or IssueInvoice commands (one queue, so one order) that
     * records (orderId, seq) of every delivery, duplicates included, in arrival order.
     */
    private MessageBus consumer(List<String> seen, Map<String, AtomicInteger> deliveries, boolean commands) {
        MessageBus.Builder b = MessageBus.builder("shipping").transport("memory:" + broker).concurrency(1)
                .deduplicationStore(new PassThroughStore());
        if (commands) {
            b.onCommand(IssueInvoice.class, (c, ctx) -> {
                seen.add(c.orderId() + "#" + c.seq());
                deliveries.computeIfAbsent(ctx.messageId(), x -> new AtomicInteger()).incrementAndGet();
            });
        } else {
            b.onEvent(OrderPlaced.class, (e, ctx) -> {
                seen.add(e.orderId() + "#" + e.seq());
                deliveries.computeIfAbsent(ctx.messageId(), x -> new AtomicInteger()).incrementAndGet();
            });
        }
        return closing(b.build()).start();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void committedRowsArePublishedAndRolledBackOnesNever(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        consumer(seen, new ConcurrentHashMap<>(), false);
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer("a")).table(db.table("outbox")).build().createSchema();
        OutboxRelay relay = closing(outbox.relay().pollInterval(Duration.ofMillis(50)).start());

        String committed;
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            committed = outbox.publish(c, new OrderPlaced("o-1", 1), "o-1");
            c.commit();
            outbox.publish(c, new OrderPlaced("o-2", 1), "o-2");
            outbox.publish(c, new OrderPlaced("o-3", 1));
            c.rollback();
            c.setAutoCommit(true);
        }
        relay.wakeUp();
        Await.until(PATIENCE, () -> seen.contains("o-1#1"), () -> "the committed message was not published: " + seen);
        Await.stays(Duration.ofMillis(300), () -> seen.size() == 1, () -> "a rolled-back message was published: " + seen);
        Await.until(Duration.ofSeconds(30), () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending());
        assertEquals(1, db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE sent_at IS NOT NULL AND message_id = '"
                + committed + "'"));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void anOutboxWritePassesTheOutboundChainAndWhatItAddsIsStoredAndArrives(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        Map<String, String> arrived = new ConcurrentHashMap<>();
        closing(MessageBus.builder("shipping").transport("memory:" + broker)
                .onEvent(OrderPlaced.class, (e, ctx) -> arrived.put(e.orderId(), String.valueOf(ctx.headers().get("tenant"))))
                .build()).start();
        List<Boolean> outboxFlags = Collections.synchronizedList(new ArrayList<>());
        MessageBus producer = closing(MessageBus.builder("ordering").instanceId("a").transport("memory:" + broker)
                .produces(OrderPlaced.class)
                .interceptor(dev.courier.Interceptor.outbound(chain -> {
                    outboxFlags.add(chain.outbox());
                    if (chain.envelope().header("drop") != null) {
                        return java.util.concurrent.CompletableFuture.completedFuture(null); // not passed on
                    }
                    chain.headers().put("tenant", "acme");
                    return chain.proceed();
                })).build()).start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer).table(db.table("outbox")).build().createSchema();
        OutboxRelay relay = closing(outbox.relay().pollInterval(Duration.ofMillis(50)).start());
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            outbox.publish(c, new OrderPlaced("o-9", 1));
            assertThrows(dev.courier.PublishException.class,
                    () -> outbox.publish(c, new OrderPlaced("o-10", 1), null, Map.of("drop", "1")));
            c.commit();
            c.setAutoCommit(true);
        }
        relay.wakeUp();
        Await.until(PATIENCE, () -> arrived.containsKey("o-9"), () -> "the outbox message should arrive: " + arrived);
        assertEquals("acme", arrived.get("o-9"), "the header the interceptor added was stored with the row");
        assertEquals(List.of(true, true), outboxFlags, "the chain saw both writes as outbox writes");
        Await.stays(Duration.ofMillis(300), () -> !arrived.containsKey("o-10"), () -> "a message the chain dropped was stored");
        assertEquals(1, db.count("SELECT COUNT(*) FROM " + outbox.table()), "only the passed-on message has a row");
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void twoRacingRelaysKeepPerKeyOrderAndPublishEachRowOnce(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        consumer(seen, deliveries, false);
        String table = db.table("outbox");
        JdbcOutbox a = JdbcOutbox.builder(db.dataSource, producer("a")).table(table).build().createSchema();
        JdbcOutbox b = JdbcOutbox.builder(db.dataSource, producer("b")).table(table).build();
        closing(a.relay().batchSize(40).pollInterval(Duration.ofMillis(20)).start());
        closing(b.relay().batchSize(40).pollInterval(Duration.ofMillis(20)).start());

        int keys = 20;
        int perKey = 60;
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int seq = 0; seq < perKey; seq++) {
                        for (int k = writer; k < keys; k += 4) {
                            String key = "order-" + k;
                            try (Connection c = db.dataSource.getConnection()) {
                                c.setAutoCommit(false);
                                (seq % 2 == 0 ? a : b).publish(c, new OrderPlaced(key, seq), key);
                                c.commit();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(2, TimeUnit.MINUTES);
            }
        } finally {
            writers.shutdownNow();
        }
        int total = keys * perKey;
        Await.until(PATIENCE, () -> seen.size() >= total && a.pending() == 0,
                () -> "published " + seen.size() + " of " + total + ", pending " + a.pending());
        Await.stays(Duration.ofMillis(300), () -> seen.size() == total, () -> "duplicates: " + (seen.size() - total));
        Map<String, Integer> last = new HashMap<>();
        for (String s : List.copyOf(seen)) {
            String key = s.substring(0, s.indexOf('#'));
            int seq = Integer.parseInt(s.substring(s.indexOf('#') + 1));
            int before = last.getOrDefault(key, -1);
            assertEquals(before + 1, seq, "order of " + key + " broken: " + seq + " after " + before);
            last.put(key, seq);
        }
        assertEquals(total, deliveries.size());
        deliveries.forEach((id, n) -> assertEquals(1, n.get(), id + " was published " + n + " times"));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aFailedRowIsRetriedWithBackoffAndItsKeyWaitsForIt(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer("a")).table(db.table("outbox")).build().createSchema();
        closing(outbox.relay().pollInterval(Duration.ofMillis(20)).maxAttempts(1000) // retried, never given up on here
                .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(200)).start());
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            for (int seq = 0; seq < 3; seq++) {
                outbox.send(c, new IssueInvoice("o-9", seq), "o-9"); // nobody consumes the command yet
            }
            outbox.publish(c, new OrderPlaced("other", 0)); // no key, no subscriber yet: an event goes nowhere
            c.commit();
        }
        Await.until(PATIENCE, () -> db.count("SELECT MAX(attempts) FROM " + outbox.table()
                + " WHERE last_error IS NOT NULL") >= 2, () -> "the unroutable command was not retried");
        assertEquals(3, outbox.pending(), "the head failed; the rows behind it wait");
        assertEquals(1, db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE last_error LIKE '%unroutable%'"));

        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        consumer(seen, new ConcurrentHashMap<>(), true);
        Await.until(PATIENCE, () -> seen.size() >= 3, () -> "not delivered after the consumer came: " + seen);
        assertEquals(List.of("o-9#0", "o-9#1", "o-9#2"), List.copyOf(seen));
        Await.until(Duration.ofSeconds(30), () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending());
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aWriteOfThisProcessWakesItsRelayWithoutNotifyOrWakeUp(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        consumer(seen, new ConcurrentHashMap<>(), false);
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer("a")).table(db.table("outbox"))
                .notifyRelays(false).build().createSchema();
        closing(outbox.relay().pollInterval(Duration.ofMinutes(5)).listen(false).start());
        for (int i = 0; i < 3; i++) {
            try (Connection c = db.dataSource.getConnection()) {
                c.setAutoCommit(false);
                outbox.publish(c, new OrderPlaced("o-" + i, 0));
                if (i == 2) {
                    Thread.sleep(300); // a transaction that takes a while after its write: the relay keeps looking
                }
                c.commit();
            }
            int expected = i + 1;
            Await.until(Duration.ofSeconds(20), () -> seen.size() == expected,
                    () -> "the relay of this process was not woken by the write: " + seen);
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aWriteWakesTheRelayLongBeforeItsPoll(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        consumer(seen, new ConcurrentHashMap<>(), false);
        String table = db.table("outbox");
        JdbcOutbox relays = JdbcOutbox.builder(db.dataSource, producer("a")).table(table).build().createSchema();
        OutboxRelay relay = closing(relays.relay().pollInterval(Duration.ofMinutes(5)).start());
        // the writes come from another outbox object, as from another process: only NOTIFY (or wakeUp) reaches the relay
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer("b")).table(table).build();
        Thread.yield();
        for (int i = 0; i < 3; i++) {
            try (Connection c = db.dataSource.getConnection()) {
                c.setAutoCommit(false);
                outbox.publish(c, new OrderPlaced("o-" + i, 0));
                c.commit();
            }
            if (kind != Databases.Kind.POSTGRES) {
                relay.wakeUp(); // MariaDB has no NOTIFY: the application wakes its relay after commit
            }
            int expected = i + 1;
            Await.until(Duration.ofSeconds(20), () -> seen.size() == expected,
                    () -> "not woken by " + (kind == Databases.Kind.POSTGRES ? "NOTIFY" : "wakeUp()"));
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void purgeDeletesOldSentRowsInBatchesAndKeepsPendingOnes(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        consumer(Collections.synchronizedList(new ArrayList<>()), new ConcurrentHashMap<>(), false);
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, producer("a")).table(db.table("outbox")).build().createSchema();
        OutboxRelay relay = closing(outbox.relay().batchSize(1000).retention(Duration.ofMillis(300))
                .purgeInterval(Duration.ZERO).purgeBatchSize(70).build());
        write(db, outbox, 250, null);
        assertEquals(250, relay.relayOnce());
        write(db, outbox, 5, null);
        Await.until(PATIENCE, () -> db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE sent_at < "
                + (kind == Databases.Kind.POSTGRES ? "CURRENT_TIMESTAMP - INTERVAL '400 milliseconds'"
                : "UTC_TIMESTAMP(6) - INTERVAL 400000 MICROSECOND")) == 250, () -> "rows did not age");
        assertEquals(250, relay.purge());
        assertEquals(5, db.count("SELECT COUNT(*) FROM " + outbox.table()), "pending rows are never purged");
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aTransactionalHandlerCommitsItsWorkItsInboxMarkAndItsOutboxRowsTogether(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        List<String> invoices = Collections.synchronizedList(new ArrayList<>());
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        String biz = db.businessTable();
        JdbcInbox inbox = closing(JdbcInbox.builder(db.dataSource).table(db.table("inbox")).purgeInterval(Duration.ZERO)
                .build().createSchema());
        String outboxTable = db.table("outbox");
        JdbcOutbox[] outbox = new JdbcOutbox[1];
        AtomicInteger attempts = new AtomicInteger();
        MessageBus billing = closing(MessageBus.builder("billing").transport("memory:" + broker)
                .deduplicationStore(inbox).produces(IssueInvoice.class)
                .retryPolicy(dev.courier.RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofMillis(10)).build())
                .onEvent(OrderPlaced.class, inbox.transactional("billing", (event, ctx, connection) -> {
                    try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)")) {
                        ps.setString(1, ctx.messageId());
                        ps.setInt(2, event.seq());
                        ps.executeUpdate();
                    }
                    outbox[0].send(connection, new IssueInvoice(event.orderId(), event.seq()), event.orderId());
                    if (attempts.incrementAndGet() == 1) {
                        throw new IllegalStateException("first attempt fails after its writes");
                    }
                }))
                .build());
        outbox[0] = JdbcOutbox.builder(db.dataSource, billing).table(outboxTable).build().createSchema();
        billing.start();
        consumer(invoices, deliveries, true);
        closing(outbox[0].relay().pollInterval(Duration.ofMillis(20)).start());

        MessageBus ordering = producer("a");
        ordering.publish(new OrderPlaced("o-7", 7)).join();
        ordering.publish(new OrderPlaced("o-8", 8)).join();
        Await.until(PATIENCE, () -> invoices.size() >= 2, () -> "invoices: " + invoices);
        Await.stays(Duration.ofMillis(300), () -> invoices.size() == 2, () -> "an invoice went out twice: " + invoices);
        assertTrue(invoices.containsAll(List.of("o-7#7", "o-8#8")), invoices.toString());
        assertEquals(2, db.count("SELECT COUNT(*) FROM " + biz), "the failed attempt's insert was rolled back");
        assertEquals(2, db.count("SELECT COUNT(*) FROM " + outboxTable), "and so was its outbox row");
        assertEquals(2, db.count("SELECT COUNT(*) FROM " + inbox.table() + " WHERE state = 'done'"));
        deliveries.forEach((id, n) -> assertEquals(1, n.get(), "invoice " + id + " published " + n + " times"));
    }

    static void write(Databases.Db db, JdbcOutbox outbox, int n, String key) throws SQLException {
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < n; i++) {
                outbox.publish(c, new OrderPlaced("bulk", i), key);
            }
            c.commit();
        }
    }

    @Test
    void buildNamesEveryBadSetting() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> JdbcOutbox.builder(null, null).table("x y").build());
        assertEquals(3, e.problems().size(), e.getMessage());
    }
}
