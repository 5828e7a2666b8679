package dev.courier.jdbc;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.BusListener;
import dev.courier.Envelope;
import dev.courier.MessageBus;
import dev.courier.amqp.AmqpConfig;
import dev.courier.amqp.AmqpTransport;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay's own crash window, on RabbitMQ: a child JVM halts after the broker confirmed its
 * publishes but before the rows were marked sent. The consumer (a transactional JdbcInbox handler)
 * has its effect once; after the restart the relay publishes the rows again and the inbox drops
 * every copy. Needs RabbitMQ (COURIER_AMQP_URI or 127.0.0.1:5672 guest/guest); skipped without it,
 * failed without it when CI=true.
 */
class AmqpOutboxCrashTest {
    private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String ns;

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Databases.dropCreatedTables();
        if (ns != null) {
            deleteBrokerNames();
        }
    }

    static String amqpUri() {
        String env = System.getenv("COURIER_AMQP_URI");
        if (env != null && !env.isBlank()) {
            return env.trim();
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 5672), 500);
            return "amqp://guest:guest@127.0.0.1:5672/";
        } catch (IOException e) {
            String how = "RabbitMQ not reachable: set COURIER_AMQP_URI or start RabbitMQ on 127.0.0.1:5672 (guest/guest)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(how + " (CI=true: required)");
            }
            Assumptions.abort(how);
            return null;
        }
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aRelayKilledBetweenConfirmAndMarkPublishesAgainAndTheInboxAbsorbsIt(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String uri = amqpUri();
        ns = "jx" + RUN + kind.ordinal();
        String biz = db.businessTable();
        String table = db.table("outbox");
        JdbcInbox inbox = JdbcInbox.builder(db.dataSource).table(db.table("inbox")).purgeInterval(Duration.ZERO)
                .build().createSchema();
        toClose.add(inbox);
        AtomicInteger duplicates = new AtomicInteger();
        MessageBus shipping = MessageBus.builder("shipping").transport(AmqpTransport.of(AmqpConfig.builder().uri(uri).namespace(ns).build()))
                .deduplicationStore(inbox)
                .listener(new BusListener() {
                    @Override
                    public void duplicate(Envelope envelope) {
                        duplicates.incrementAndGet();
                    }
                })
                .onEvent(OrderPlaced.class, inbox.transactional("shipping", (e, ctx, connection) -> {
                    try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)")) {
                        ps.setString(1, ctx.messageId());
                        ps.setInt(2, e.seq());
                        ps.executeUpdate();
                    }
                })).build();
        toClose.add(shipping);
        shipping.start();
        MessageBus ordering = MessageBus.builder("ordering").transport(AmqpTransport.of(AmqpConfig.builder().uri(uri).namespace(ns).build()))
                .produces(OrderPlaced.class).build();
        toClose.add(ordering);
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(table).build().createSchema();

        Path log = Files.createTempFile("courier-relay-child", ".log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RelayCrashChild.class.getName(), table, ns);
        pb.environment().put("COURIER_CHILD_URL", db.url);
        pb.environment().put("COURIER_CHILD_AMQP", uri);
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        Process child = pb.start();
        try {
            assertTrue(child.waitFor(90, TimeUnit.SECONDS), "the child did not halt");
            assertEquals(RelayCrashChild.HALTED, child.exitValue(), () -> "child failed: " + read(log));
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(log);
        }
        Await.until(Duration.ofSeconds(30), () -> db.count("SELECT COUNT(*) FROM " + biz) == 3,
                () -> "the consumer did not handle the 3 confirmed messages: " + db.count("SELECT COUNT(*) FROM " + biz));
        assertEquals(3, outbox.pending(), "the child died before marking its rows sent");

        ordering.start();
        toClose.add(outbox.relay().pollInterval(Duration.ofMillis(50)).start()); // the restart
        Await.until(Duration.ofSeconds(30), () -> outbox.pending() == 0 && duplicates.get() == 3,
                () -> "pending " + outbox.pending() + ", duplicates dropped " + duplicates.get());
        Await.stays(Duration.ofMillis(300), () -> db.count("SELECT COUNT(*) FROM " + biz) == 3,
                () -> "a republished message had a second effect");
    }

    private void deleteBrokerNames() {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(amqpUri());
            if (f.getVirtualHost() == null || f.getVirtualHost().isEmpty()) {
                f.setVirtualHost("/"); // "amqp://host:5672/" names the default vhost "/" for the transport too
            }
            try (com.rabbitmq.client.Connection c = f.newConnection("sdk-jdbc test clean-up")) {
                for (String q : List.of(ns + ".shipping.v1.jdbctest.order.placed", ns + ".courier.dead-letter.shipping",
                        ns + ".courier.dead-letter.ordering")) {
                    try (Channel ch = c.createChannel()) {
                        ch.queueDelete(q);
                    } catch (Exception ignored) {
                        // absent
                    }
                }
                for (String x : List.of(ns + ".courier.events", ns + ".courier.commands")) {
                    try (Channel ch = c.createChannel()) {
                        ch.exchangeDelete(x);
                    } catch (Exception ignored) {
                        // absent
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("could not clean up broker names of " + ns + ": " + e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
