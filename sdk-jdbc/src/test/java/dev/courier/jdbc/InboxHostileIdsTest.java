package dev.courier.jdbc;

import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.CourierException;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.memory.InMemoryTransport;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import dev.courier.spi.DeduplicationStore.Claim;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every id a bus can carry is claimed, completed and released in the durable inbox, and two
 * different ids never share a row: over-long ids, NUL, unpaired surrogates, trailing spaces (equal
 * to the id without them under MariaDB's PAD SPACE collations), ids that look like SQL or like the
 * inbox's own hashed form.
 */
class InboxHostileIdsTest {
    private static final Duration LONG = Duration.ofMinutes(5);
    private final List<JdbcInbox> inboxes = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        inboxes.forEach(JdbcInbox::close);
        Databases.dropCreatedTables();
    }

    static Set<String> hostileIds() {
        Set<String> ids = new LinkedHashSet<>();
        ids.add("x".repeat(255));
        ids.add("x".repeat(256));
        ids.add("x".repeat(256) + "y");
        ids.add("x".repeat(100_000));
        ids.add("é".repeat(255));                  // 255 characters, 510 bytes: fits as is
        ids.add("\uD83D\uDE00".repeat(200));       // 200 emoji: 400 UTF-16 units
        ids.add("a\u0000b");
        ids.add("\u0000");
        ids.add("lone\uD800");                     // unpaired surrogates: both would be written as "lone?"
        ids.add("lone\uDC00");
        ids.add("pad");
        ids.add("pad ");                           // equal to "pad" under PAD SPACE
        ids.add("pad  ");
        ids.add(" pad");
        ids.add("'; DROP TABLE courier_inbox; --");
        ids.add("1' OR '1'='1");
        ids.add("%");
        ids.add("_");
        ids.add("\\");
        ids.add("\"`");
        ids.add("A");
        ids.add("a");
        ids.add("line\nbreak\r\t");
        ids.add(StoredIdProbe.hashedFormOf("x".repeat(256))); // a real id that looks like the hash of another
        return ids;
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void everyIdIsClaimedCompletedAndReleasedAndDifferentIdsNeverMeet(Databases.Kind kind) {
        Databases.Db db = Databases.get(kind);
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(db.table("inbox")).purgeInterval(Duration.ZERO).build();
        inboxes.add(inbox.createSchema());
        Set<String> ids = hostileIds();
        for (String id : ids) {
            assertEquals(Claim.ACQUIRED, inbox.claim("billing", id, LONG), () -> "first claim of " + show(id));
            assertEquals(Claim.IN_PROGRESS, inbox.claim("billing", id, LONG), () -> "second claim of " + show(id));
        }
        for (String id : ids) {
            inbox.release("billing", id);
            assertEquals(Claim.ACQUIRED, inbox.claim("billing", id, LONG), () -> "claim after release of " + show(id));
        }
        int done = 0;
        for (String id : ids) {
            inbox.complete("billing", id);
            done++;
            assertEquals(Claim.DONE, inbox.claim("billing", id, LONG), () -> "claim after complete of " + show(id));
            assertEquals(Claim.ACQUIRED, inbox.claim("shipping", id, LONG), () -> "another service's claim of " + show(id));
        }
        assertEquals(ids.size(), done);
        assertEquals(ids.size() * 2L, db.count("SELECT COUNT(*) FROM " + inbox.table()), "one row per (service, id)");
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aForeignPublishersHostileIdsAreEachHandledOnceByATransactionalHandlerHoweverOftenTheyArrive(Databases.Kind kind) {
        Databases.Db db = Databases.get(kind);
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(db.table("inbox")).purgeInterval(Duration.ZERO).build();
        inboxes.add(inbox.createSchema());
        String broker = "hostile-ids-" + UUID.randomUUID();
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        Set<String> deadLettered = ConcurrentHashMap.newKeySet();
        MessageBus billing = MessageBus.builder("billing").transport("memory:" + broker).deduplicationStore(inbox)
                .onEvent(OrderPlaced.class, inbox.transactional("billing", (e, ctx, connection) ->
                        handled.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger()).incrementAndGet()))
                .listener(new BusListener() {
                    @Override
                    public void deadLettered(Envelope envelope, String messageId, Throwable error) {
                        deadLettered.add(messageId); // an id over a limit of the bus itself: refused at its edge
                    }
                })
                .build().start();
        InMemoryTransport foreign = InMemoryBroker.named(broker).connect();
        foreign.start(new TransportContext("foreign", "f1", Duration.ofSeconds(10)));
        try {
            Set<String> ids = hostileIds();
            for (int copy = 0; copy < 3; copy++) {
                for (String id : ids) {
                    Map<String, String> h = Map.of(Headers.ID, id, Headers.TYPE, "v1.jdbctest.order.placed",
                            Headers.SOURCE, "foreign", Headers.SPECVERSION, "1.0", Headers.DATACONTENTTYPE, "application/json");
                    foreign.publish(Address.event("v1.jdbctest.order.placed"), h,
                            "{\"orderId\":\"o\",\"seq\":1}".getBytes(StandardCharsets.UTF_8)).join();
                }
            }
            Await.until(Duration.ofSeconds(60), () -> handled.size() + deadLettered.size() == ids.size(),
                    () -> "handled " + handled.size() + " and dead-lettered " + deadLettered.size() + " of " + ids.size() + " ids");
            assertTrue(ids.containsAll(handled.keySet()) && ids.containsAll(deadLettered), "ids are kept as they arrived");
            for (String id : ids) {
                if (id.length() <= 100) { // well within any id limit of the bus itself: the long ones are its to refuse
                    assertTrue(handled.containsKey(id), () -> show(id) + " was not handled");
                }
            }
            Await.until(Duration.ofSeconds(30), () -> db.count("SELECT COUNT(*) FROM " + inbox.table()
                    + " WHERE state = 'done'") == handled.size(), () -> "not every handled id marked done");
            handled.forEach((id, n) -> assertEquals(1, n.get(), () -> show(id) + " handled " + n + " times"));
        } finally {
            foreign.close();
            billing.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aTableThatCannotKeepAnIdSaysWhichIdAndWhyAndThatRetryingCannotHelp(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String table = db.table("inbox");
        // a migration that narrowed the script's message_id VARCHAR(255)
        db.execute("CREATE TABLE " + table + " (service VARCHAR(64) NOT NULL, message_id VARCHAR(40) NOT NULL,"
                + " state VARCHAR(8) NOT NULL, owner VARCHAR(36), lease_until " + timestamp(kind) + ", updated_at "
                + timestamp(kind) + " NOT NULL, PRIMARY KEY (service, message_id))");
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(table).purgeInterval(Duration.ZERO).build();
        inboxes.add(inbox);
        String id = "order-\u0000-" + "9".repeat(300);
        UnstorableIdException e = assertThrows(UnstorableIdException.class, () -> inbox.claim("billing", id, LONG));
        assertInstanceOf(CourierException.class, e);
        assertEquals(id, e.messageId());
        assertEquals("billing", e.service());
        assertTrue(e.getMessage().contains("'order-\\u0000-999"), e.getMessage());
        assertTrue(e.getMessage().contains("(" + id.length() + " characters)"), e.getMessage());
        assertTrue(e.getMessage().contains("SQLState 22001"), e.getMessage());
        assertTrue(e.getMessage().contains("message_id VARCHAR(255)"), e.getMessage());
        assertEquals(Claim.ACQUIRED, inbox.claim("billing", "short-id", LONG), "ids the column can hold still work");
    }

    private static String timestamp(Databases.Kind kind) {
        return kind == Databases.Kind.POSTGRES ? "TIMESTAMPTZ" : "DATETIME(6)";
    }

    static String show(String id) {
        String s = id.length() > 40 ? id.substring(0, 40) + "...(" + id.length() + " chars)" : id;
        return "'" + s.replace("\u0000", "\\0") + "'";
    }
}
