package dev.courier.jdbc;

import dev.courier.MessageBus;
import dev.courier.CourierException;
import dev.courier.jdbc.TestMessages.IssueInvoice;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A row that can never be published must neither be committed when that is known at write time,
 * nor block its aggregate key forever when it is only found out by the relay: it ends in the
 * visible {@code failed} state and the rows behind it in its key go on, in order.
 */
class OutboxPoisonRowTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final String broker = "poison-" + UUID.randomUUID();

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

    private JdbcOutbox outbox(Databases.Db db) {
        MessageBus ordering = closing(MessageBus.builder("ordering").transport("memory:" + broker)
                .produces(OrderPlaced.class, IssueInvoice.class).build()).start();
        return JdbcOutbox.builder(db.dataSource, ordering).table(db.table("outbox")).build().createSchema();
    }

    /** Records the OrderPlaced events that arrive, as "orderId#seq". */
    private List<String> consumer() {
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        closing(MessageBus.builder("shipping").transport("memory:" + broker).concurrency(1)
                .deduplicationStore(new PassThroughStore())
                .onEvent(OrderPlaced.class, (e, ctx) -> seen.add(e.orderId() + "#" + e.seq())).build()).start();
        return seen;
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void headersOverTheLimitAreRefusedAtWriteAndNothingIsCommitted(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = outbox(db);
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            outbox.publish(c, new OrderPlaced("o-1", 0), "o-1");
            Map<String, String> big = new HashMap<>(); // five values under the per-value limit, 75 KB together
            for (int i = 0; i < 5; i++) {
                big.put("note" + i, "n".repeat(15_000));
            }
            CourierException e = assertThrows(CourierException.class, () -> outbox.publish(c, new OrderPlaced("o-1", 1), "o-1", big));
            assertTrue(e.getMessage().contains("the limit maxHeadersBytes is 65536 bytes"), e.getMessage());
            e = assertThrows(CourierException.class, () ->
                    outbox.publish(c, new OrderPlaced("o-1", 1), "o-1", Map.of("note", "n".repeat(200_000))));
            assertTrue(e.getMessage().contains("header 'note'") && e.getMessage().contains("200000 bytes"), e.getMessage());
            outbox.publish(c, new OrderPlaced("o-1", 2), "o-1"); // the transaction is intact
            c.commit();
        }
        assertEquals(2, outbox.pending(), "only the two good rows were written");
        assertEquals(0, db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE headers LIKE '%nnnnnnnnnn%'"));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aRowThatNeverGetsThroughFailsForGoodAndTheRowsBehindItInItsKeyGoOn(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = outbox(db);
        List<String> seen = consumer();
        String poison;
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            outbox.publish(c, new OrderPlaced("o-9", 0), "o-9");
            poison = outbox.send(c, new IssueInvoice("o-9", 1), "o-9"); // nobody ever consumes this command
            outbox.publish(c, new OrderPlaced("o-9", 2), "o-9");
            outbox.publish(c, new OrderPlaced("o-9", 3), "o-9");
            c.commit();
        }
        String log = capturingStderr(() -> {
            closing(outbox.relay().pollInterval(Duration.ofMillis(20)).maxAttempts(3)
                    .retryBackoff(Duration.ofMillis(20), Duration.ofMillis(50)).start());
            Await.until(PATIENCE, () -> seen.size() >= 3, () -> "the rows behind the failed one are held: " + seen);
        });
        assertEquals(List.of("o-9#0", "o-9#2", "o-9#3"), List.copyOf(seen), "the rest of the key, in order");
        Await.until(PATIENCE, () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending()); // after the confirm
        List<JdbcOutbox.FailedRow> failed = outbox.failed(10);
        assertEquals(1, failed.size(), failed.toString());
        JdbcOutbox.FailedRow row = failed.get(0);
        assertEquals(poison, row.messageId());
        assertEquals("v1.jdbctest.invoice.issue", row.messageType());
        assertEquals("o-9", row.aggregateKey());
        assertEquals(3, row.attempts());
        assertTrue(row.lastError().contains("unroutable") || row.lastError().contains("no handler")
                || row.lastError().contains("nobody"), row.lastError());
        assertTrue(row.failedAt() != null);
        assertTrue(log.contains("ERROR") && log.contains(poison) && log.contains("row " + row.rowId()),
                "one ERROR line names the row and its message:\n" + log);
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aRowThatCannotBeReadOrIsOverTheLimitFailsAtOnceAndTheBatchGoesOn(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = outbox(db);
        List<String> seen = consumer();
        String good = "{\"id\":\"%s\",\"type\":\"v1.jdbctest.order.placed\",\"source\":\"ordering\",\"specversion\":\"1.0\","
                + "\"datacontenttype\":\"application/json\"}";
        // rows an older version, another writer or a hand-made fix left behind
        insert(db, outbox, "k", "EVENT", "{not json", "{\"orderId\":\"k\",\"seq\":0}");
        insert(db, outbox, "k", "CARRIER_PIGEON", String.format(good, "m1"), "{\"orderId\":\"k\",\"seq\":1}");
        insert(db, outbox, "k", "EVENT", String.format(good.replace("}", ",\"note\":\"%s\"}"), "m2", "n".repeat(200_000)),
                "{\"orderId\":\"k\",\"seq\":2}");
        insert(db, outbox, "k", "EVENT", String.format(good, "m3"), "{\"orderId\":\"k\",\"seq\":3}");
        OutboxRelay relay = closing(outbox.relay().maxAttempts(50).retryBackoff(Duration.ofMinutes(1), Duration.ofMinutes(5))
                .purgeInterval(Duration.ZERO).build());
        relay.relayOnce();
        relay.relayOnce();
        Await.until(PATIENCE, () -> seen.size() == 1, () -> "the good row was not published: " + seen);
        assertEquals(List.of("k#3"), List.copyOf(seen));
        List<JdbcOutbox.FailedRow> failed = outbox.failed(10);
        assertEquals(3, failed.size(), "failed at once, not retried for minutes: " + failed);
        assertTrue(failed.get(0).lastError().contains("headers"), failed.get(0).lastError());
        assertTrue(failed.get(1).lastError().contains("CARRIER_PIGEON"), failed.get(1).lastError());
        assertTrue(failed.get(2).lastError().contains("maxHeaderValueBytes"), failed.get(2).lastError());
        failed.forEach(f -> assertEquals(1, f.attempts(), f.toString()));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aFailedRowIsRetriedOrDiscardedOnRequest(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = outbox(db);
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            outbox.send(c, new IssueInvoice("o-1", 1), "o-1");
            outbox.send(c, new IssueInvoice("o-2", 1), "o-2");
            c.commit();
        }
        OutboxRelay relay = closing(outbox.relay().maxAttempts(1).purgeInterval(Duration.ZERO).build());
        relay.relayOnce();
        List<JdbcOutbox.FailedRow> failed = outbox.failed(10);
        assertEquals(2, failed.size());
        assertEquals(0, outbox.pending());

        List<String> invoices = Collections.synchronizedList(new ArrayList<>());
        closing(MessageBus.builder("billing").transport("memory:" + broker)
                .onCommand(IssueInvoice.class, (cmd, ctx) -> invoices.add(cmd.orderId())).build()).start();
        assertTrue(outbox.retry(failed.get(0).rowId()));
        assertFalse(outbox.retry(failed.get(0).rowId()), "not failed any more");
        assertEquals(1, outbox.pending());
        assertTrue(outbox.discard(failed.get(1).rowId()));
        assertFalse(outbox.discard(failed.get(1).rowId()));
        relay.relayOnce();
        Await.until(PATIENCE, () -> invoices.size() == 1, () -> "the retried row was not published");
        assertEquals(List.of("o-1"), List.copyOf(invoices));
        assertEquals(List.of(), outbox.failed(10));
        assertEquals(1, db.count("SELECT COUNT(*) FROM " + outbox.table()), "the discarded row is gone, the sent one stays");
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void retryDelaysAreJitteredSoFailedRowsDoNotComeBackTogether(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        JdbcOutbox outbox = outbox(db);
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 12; i++) {
                outbox.send(c, new IssueInvoice("o-" + i, 1)); // nobody consumes: every row fails together
            }
            c.commit();
        }
        closing(outbox.relay().retryBackoff(Duration.ofSeconds(20), Duration.ofSeconds(20)).purgeInterval(Duration.ZERO)
                .build()).relayOnce();
        String spread = kind == Databases.Kind.POSTGRES
                ? "SELECT EXTRACT(EPOCH FROM MAX(next_attempt_at) - MIN(next_attempt_at)) * 1000 FROM " + outbox.table()
                : "SELECT TIMESTAMPDIFF(MICROSECOND, MIN(next_attempt_at), MAX(next_attempt_at)) / 1000 FROM " + outbox.table();
        String furthest = kind == Databases.Kind.POSTGRES
                ? "SELECT EXTRACT(EPOCH FROM MAX(next_attempt_at) - CURRENT_TIMESTAMP) * 1000 FROM " + outbox.table()
                : "SELECT TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), MAX(next_attempt_at)) / 1000 FROM " + outbox.table();
        assertEquals(12, db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE attempts = 1 AND next_attempt_at IS NOT NULL"));
        long spreadMs = db.count(spread);
        assertTrue(spreadMs > 2000, "12 rows that failed together come back over a window, not at once: " + spreadMs + " ms");
        assertTrue(db.count(furthest) <= 20_000, "and never later than the maximum backoff");
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void createSchemaGivesAnOutboxTableOfAnEarlierVersionItsFailedColumn(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String table = db.table("outbox");
        String script = new String(getClass().getResourceAsStream("v0/outbox-" + (kind == Databases.Kind.POSTGRES
                ? "postgresql" : "mariadb") + ".sql").readAllBytes(), StandardCharsets.UTF_8); // as shipped before failed_at
        for (String sql : script.replace("courier_outbox_", table + "_").replace("courier_outbox", table)
                .replaceAll("(?m)^--.*$", "").split(";")) {
            if (!sql.isBlank()) {
                db.execute(sql);
            }
        }
        MessageBus ordering = closing(MessageBus.builder("ordering").transport("memory:" + broker)
                .produces(IssueInvoice.class).build()).start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(table).build().createSchema();
        try (Connection c = db.dataSource.getConnection()) {
            outbox.send(c, new IssueInvoice("o-1", 1));
        }
        closing(outbox.relay().maxAttempts(1).purgeInterval(Duration.ZERO).build()).relayOnce();
        assertEquals(1, outbox.failed(10).size(), "the old table now has failed_at");
    }

    private static void insert(Databases.Db db, JdbcOutbox outbox, String key, String kind, String headers, String body)
            throws Exception {
        String now = db.kind == Databases.Kind.POSTGRES ? "CURRENT_TIMESTAMP" : "UTC_TIMESTAMP(6)";
        try (Connection c = db.dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO "
                + outbox.table() + " (aggregate_key, message_id, message_type, address_kind, address_name, headers, body,"
                + " created_at) VALUES (?, ?, 'v1.jdbctest.order.placed', ?, 'v1.jdbctest.order.placed', ?, ?, " + now + ")")) {
            ps.setString(1, key);
            ps.setString(2, UUID.randomUUID().toString());
            ps.setString(3, kind);
            ps.setString(4, headers);
            ps.setBytes(5, body.getBytes(StandardCharsets.UTF_8));
            ps.executeUpdate();
        }
    }

    /** Runs {@code r} with System.err captured (slf4j-simple writes there) and returns what was written. */
    static String capturingStderr(Runnable r) {
        PrintStream before = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(before);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        before.print(out);
        return out;
    }
}
