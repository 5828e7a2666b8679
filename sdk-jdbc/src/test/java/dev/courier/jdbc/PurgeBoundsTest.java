package dev.courier.jdbc;

import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A steady stream through the outbox, the relay and a consumer's inbox, with short retentions:
 * purging keeps both tables within rate × (retention + purge interval) plus slack the whole run.
 * 8 seconds by default; {@code -Pjdbc-long} runs it for 2 minutes.
 */
class PurgeBoundsTest {
    private static final boolean LONG_RUN = Boolean.getBoolean("courier.jdbc.long");
    private static final Duration RUN = LONG_RUN ? Duration.ofMinutes(2) : Duration.ofSeconds(8);
    private static final int PER_SECOND = 400;
    private static final Duration RETENTION = Duration.ofSeconds(1);
    private static final Duration PURGE_EVERY = Duration.ofMillis(200);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Databases.dropCreatedTables();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void purgingKeepsBothTablesWithinTheirBoundsDuringALongRun(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String broker = "purge-" + UUID.randomUUID();
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(db.table("inbox")).retention(RETENTION)
                .purgeInterval(PURGE_EVERY).purgeBatchSize(100).build().createSchema();
        toClose.add(inbox);
        AtomicInteger handled = new AtomicInteger();
        MessageBus billing = MessageBus.builder("billing").transport("memory:" + broker).deduplicationStore(inbox)
                .onEvent(OrderPlaced.class, (e, ctx) -> handled.incrementAndGet()).build();
        toClose.add(billing);
        billing.start();
        MessageBus ordering = MessageBus.builder("ordering").transport("memory:" + broker).produces(OrderPlaced.class).build();
        toClose.add(ordering);
        ordering.start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(db.table("outbox")).build().createSchema();
        toClose.add(outbox.relay().pollInterval(Duration.ofMillis(50)).retention(RETENTION).purgeInterval(PURGE_EVERY)
                .purgeBatchSize(100).start());

        long bound = (long) (PER_SECOND * (RETENTION.toMillis() + 2 * PURGE_EVERY.toMillis() + 1000) / 1000.0);
        long maxInbox = 0;
        long maxSent = 0;
        int written = 0;
        long start = System.nanoTime();
        long tick = TimeUnit.MILLISECONDS.toNanos(100);
        for (long next = start; System.nanoTime() - start < RUN.toNanos(); next += tick) {
            try (Connection c = db.dataSource.getConnection()) { // PER_SECOND / 10 messages per 100 ms tick
                c.setAutoCommit(false);
                for (int i = 0; i < PER_SECOND / 10; i++) {
                    outbox.publish(c, new OrderPlaced("o-" + written, written++));
                }
                c.commit();
            }
            maxInbox = Math.max(maxInbox, db.count("SELECT COUNT(*) FROM " + inbox.table()));
            maxSent = Math.max(maxSent, db.count("SELECT COUNT(*) FROM " + outbox.table() + " WHERE sent_at IS NOT NULL"));
            LockSupport.parkNanos(next + tick - System.nanoTime()); // pacing the producer, not synchronising
        }
        int total = written;
        Await.until(Duration.ofSeconds(60), () -> handled.get() >= total, () -> "handled " + handled + " of " + total);
        System.out.printf("%s: %d messages in %s; max inbox rows %d, max sent outbox rows %d, bound %d%n", db, total,
                RUN, maxInbox, maxSent, bound);
        assertTrue(maxInbox <= bound, "inbox grew to " + maxInbox + " rows, bound " + bound);
        assertTrue(maxSent <= bound, "outbox kept " + maxSent + " sent rows, bound " + bound);
        Await.until(Duration.ofSeconds(10), () -> db.count("SELECT COUNT(*) FROM " + inbox.table()) == 0
                        && db.count("SELECT COUNT(*) FROM " + outbox.table()) == 0,
                () -> "purging did not empty the tables after the run");
    }
}
