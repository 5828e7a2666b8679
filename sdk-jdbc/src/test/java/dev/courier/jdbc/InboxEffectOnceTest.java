package dev.courier.jdbc;

import dev.courier.MessageBus;
import dev.courier.PreparedMessage;
import dev.courier.jdbc.TestMessages.Charged;
import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The test: two bus instances of one service and a restart in between; every duplicate
 * delivery of 10,000 messages has its effect once, counted as rows of a business table.
 */
class InboxEffectOnceTest {
    static final int TEN_THOUSAND = Integer.getInteger("courier.jdbc.messages", 10_000);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Databases.dropCreatedTables();
    }

    private MessageBus billing(Databases.Db db, String broker, String inboxTable, String biz, String instance,
                               boolean transactional) {
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(inboxTable).purgeInterval(Duration.ZERO).build();
        toClose.add(inbox);
        String insert = "INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)";
        MessageBus.Builder b = MessageBus.builder("billing")
                .instanceId(instance)
                .transport("memory:" + broker)
                .deduplicationStore(inbox)
                .claimLease(Duration.ofSeconds(2));
        if (transactional) {
            b.onEvent(Charged.class, inbox.transactional("billing", (event, ctx, connection) -> {
                try (PreparedStatement ps = connection.prepareStatement(insert)) {
                    ps.setString(1, ctx.messageId());
                    ps.setInt(2, event.n());
                    ps.executeUpdate();
                }
            }));
        } else {
            b.onEvent(Charged.class, (event, ctx) -> { // the plain inbox: its own auto-committed insert
                try (var connection = db.dataSource.getConnection();
                     PreparedStatement ps = connection.prepareStatement(insert)) {
                    ps.setString(1, ctx.messageId());
                    ps.setInt(2, event.n());
                    ps.executeUpdate();
                }
            });
        }
        MessageBus bus = b.build();
        toClose.add(bus);
        return bus.start();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void everyDuplicateOfTenThousandMessagesHasItsEffectOnceAcrossInstancesAndARestart(Databases.Kind kind)
            throws Exception {
        run(kind, TEN_THOUSAND, true);
    }

    /** The same with a plain (non-transactional) handler: no crash here, so its effect is once too. */
    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void withAPlainHandlerEveryDuplicateHasItsEffectOnceToo(Databases.Kind kind) throws Exception {
        run(kind, Math.max(1000, TEN_THOUSAND / 5), false);
    }

    private void run(Databases.Kind kind, int messages, boolean transactional) throws Exception {
        Databases.Db db = Databases.get(kind);
        String broker = "inbox-once-" + UUID.randomUUID();
        String inboxTable = db.table("inbox");
        String biz = db.businessTable();
        JdbcInbox.builder(db.dataSource).table(inboxTable).purgeInterval(Duration.ZERO).build().createSchema();

        MessageBus a = billing(db, broker, inboxTable, biz, "a", transactional);
        billing(db, broker, inboxTable, biz, "b", transactional);
        MessageBus producer = MessageBus.builder("payments").transport("memory:" + broker).produces(Charged.class).build();
        toClose.add(producer);
        producer.start();
        List<PreparedMessage> prepared = new ArrayList<>(messages);
        for (int i = 0; i < messages; i++) {
            prepared.add(producer.prepareForOutbox(new Charged(i), Map.of(), p -> p));
        }

        long t0 = System.nanoTime();
        int half = messages / 2;
        sendTwice(producer, prepared.subList(0, half));
        Await.until(Duration.ofMinutes(2), () -> db.count("SELECT COUNT(*) FROM " + biz) >= half / 2,
                () -> "handlers made no progress: " + db.count("SELECT COUNT(*) FROM " + biz));

        a.close(); // restart instance a while messages are in flight; what it had not started goes to b or a'
        billing(db, broker, inboxTable, biz, "a2", transactional);
        sendTwice(producer, prepared.subList(half, messages));
        sendTwice(producer, prepared.subList(0, messages / 5)); // late duplicates after the restart

        Await.until(Duration.ofMinutes(3), () -> db.count("SELECT COUNT(*) FROM " + biz) >= messages
                        && InMemoryBroker.named(broker).depth(Address.event(Charged.class.getAnnotation(
                        dev.courier.MessageName.class).value()), "billing") == 0
                        && db.count("SELECT COUNT(*) FROM " + inboxTable + " WHERE state = 'done'") == messages,
                () -> "handled " + db.count("SELECT COUNT(*) FROM " + biz) + " of " + messages);
        Await.stays(Duration.ofMillis(500), () -> db.count("SELECT COUNT(*) FROM " + biz) == messages,
                () -> "a duplicate had a second effect");
        assertEquals(messages, db.count("SELECT COUNT(*) FROM " + biz), "one business row per message");
        assertEquals(messages, db.count("SELECT COUNT(DISTINCT message_id) FROM " + biz));
        System.out.printf("%s (%s): %d messages x ~2.4 deliveries, two instances and a restart, in %d ms%n", db,
                transactional ? "transactional" : "plain", messages, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Every message twice, at once (so the two copies race), in windows that fit the queue. */
    private static void sendTwice(MessageBus bus, List<PreparedMessage> batch) {
        int window = 1000;
        for (int from = 0; from < batch.size(); from += window) {
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            for (PreparedMessage p : batch.subList(from, Math.min(batch.size(), from + window))) {
                sent.add(bus.sendPrepared(p));
                sent.add(bus.sendPrepared(p));
            }
            CompletableFuture.allOf(sent.toArray(new CompletableFuture<?>[0])).join();
        }
    }
}
