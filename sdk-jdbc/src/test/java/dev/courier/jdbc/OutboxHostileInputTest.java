package dev.courier.jdbc;

import dev.courier.CourierException;
import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Values a caller (or a foreign message a handler copies from) may put into an outbox row: SQL,
 * NUL, JSON and quoting characters, non-BMP text, values at the limits, a large body. Each either
 * round-trips exactly, through the table and the relay to a consumer, or is refused at write with a
 * clear error and nothing stored — never committed to fail later.
 */
class OutboxHostileInputTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final String broker = "hostile-" + UUID.randomUUID();

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

    static List<String> hostileValues() {
        return List.of("'; DROP TABLE courier_outbox; --", "1' OR '1'='1", "a\u0000b", "\u0000", "\"}{\\\"", "\\", "%_",
                "line\nbreak\r\ttab", "\uD83D\uDE00 emoji", "é ü ß 中文", " padded ", "", "v".repeat(16 * 1024));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void hostileValuesInKeysHeadersIdsAndBodiesRoundTripExactly(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        Map<String, OrderPlaced> bodies = new ConcurrentHashMap<>();
        Map<String, Map<String, String>> headers = new ConcurrentHashMap<>();
        closing(MessageBus.builder("shipping").transport("memory:" + broker).deduplicationStore(new PassThroughStore())
                .onEvent(OrderPlaced.class, (e, ctx) -> {
                    bodies.put(ctx.messageId(), e);
                    headers.put(ctx.messageId(), ctx.headers());
                }).build()).start();
        MessageBus ordering = closing(MessageBus.builder("ordering").transport("memory:" + broker)
                .produces(OrderPlaced.class).build()).start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(db.table("outbox")).build().createSchema();
        closing(outbox.relay().pollInterval(Duration.ofMillis(20)).start());

        Map<String, OrderPlaced> sentBodies = new LinkedHashMap<>();
        Map<String, String> sentNotes = new LinkedHashMap<>();
        List<String> values = hostileValues();
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            int seq = 0;
            for (String v : values) {
                OrderPlaced body = new OrderPlaced(v, seq++);
                String key = v.isEmpty() || v.contains("\u0000") || v.length() > JdbcOutbox.MAX_KEY_LENGTH ? null : v;
                String id = outbox.publish(c, body, key, Map.of("note", v));
                sentBodies.put(id, body);
                sentNotes.put(id, v);
            }
            for (String sqlLike : List.of("id'; DELETE FROM x; --", "id\" OR \"\"=\"", "id%", "id\\")) {
                OrderPlaced body = new OrderPlaced(sqlLike, seq++);
                String id = outbox.publish(c, body, sqlLike, Map.of("id", sqlLike, "note", sqlLike));
                assertEquals(sqlLike, id, "an explicit id is kept as given");
                sentBodies.put(id, body);
                sentNotes.put(id, sqlLike);
            }
            OrderPlaced large = new OrderPlaced("b".repeat(8 * 1024 * 1024), seq);
            String id = outbox.publish(c, large, "large");
            sentBodies.put(id, large);
            c.commit();
        }
        Await.until(PATIENCE, () -> bodies.size() == sentBodies.size(),
                () -> "received " + bodies.size() + " of " + sentBodies.size());
        for (Map.Entry<String, OrderPlaced> e : sentBodies.entrySet()) {
            assertEquals(e.getValue(), bodies.get(e.getKey()), () -> "body of " + StoredId.show(e.getKey()));
            String note = sentNotes.get(e.getKey());
            if (note != null) {
                assertEquals(note, headers.get(e.getKey()).get("note"), () -> "header of " + StoredId.show(e.getKey()));
            }
        }
        Await.until(PATIENCE, () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending()); // after the confirm
        assertEquals(List.of(), outbox.failed(10));
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void whatCanNeverBeStoredOrPublishedIsRefusedAtWriteAndLeavesTheTransactionUsable(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        MessageBus ordering = closing(MessageBus.builder("ordering").transport("memory:" + broker)
                .produces(OrderPlaced.class).build()).start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(db.table("outbox")).build().createSchema();
        OrderPlaced e = new OrderPlaced("o", 1);
        try (Connection c = db.dataSource.getConnection()) {
            c.setAutoCommit(false);
            assertRefused(dev.courier.PublishException.class, "aggregate key", () -> outbox.publish(c, e, "k\u0000"));
            assertRefused(dev.courier.PublishException.class, "aggregate key", () -> outbox.publish(c, e, "k\uD800"));
            assertRefused(dev.courier.PublishException.class, "aggregate key", () -> outbox.publish(c, e, "k".repeat(256)));
            assertRefused(dev.courier.PublishException.class, "aggregate key", () -> outbox.publish(c, e, ""));
            assertRefused(dev.courier.PublishException.class, "message id", () -> outbox.publish(c, e, null, Map.of("id", "a\u0000b")));
            assertRefused(CourierException.class, "maxAttributeBytes", () -> outbox.publish(c, e, null, Map.of("id", "é".repeat(101))));
            assertRefused(CourierException.class, "maxHeaderValueBytes",
                    () -> outbox.publish(c, e, null, Map.of("note", "n".repeat(16 * 1024 + 1))));
            assertRefused(CourierException.class, "maxBodyBytes",
                    () -> outbox.publish(c, new OrderPlaced("b".repeat(16 * 1024 * 1024), 1), "k"));
            outbox.publish(c, e, "k"); // the transaction is still usable: nothing reached the database
            c.commit();
        }
        assertEquals(1, db.count("SELECT COUNT(*) FROM " + outbox.table()));
    }

    private static void assertRefused(Class<? extends Exception> type, String naming, org.junit.jupiter.api.function.Executable write) {
        Exception e = assertThrows(type, write);
        assertTrue(e.getMessage().contains(naming), "the error names " + naming + ": " + e.getMessage());
    }
}
