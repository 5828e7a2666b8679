package dev.courier.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The relay thread keeps one connection while rows keep coming: its batches do not read or change
 * the isolation level or auto-commit each time (round trips that cost more than the batch's own
 * statements when batches are small), and the connection goes back to the pool as it was taken.
 */
class RelaySessionTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final String broker = "session-" + UUID.randomUUID();

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

    /** Counts, per thread name prefix, the connection calls that cost a round trip on some driver. */
    static final class Counting {
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        final DataSource dataSource;

        Counting(DataSource target) {
            this.dataSource = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {DataSource.class}, (p, m, args) -> {
                        Object r = invoke(target, m, args);
                        if (m.getName().equals("getConnection")) {
                            count("getConnection");
                            return connection((Connection) r);
                        }
                        return r;
                    });
        }

        private Connection connection(Connection c) {
            InvocationHandler h = (p, m, args) -> {
                if (Set.of("getTransactionIsolation", "setTransactionIsolation", "setAutoCommit", "commit")
                        .contains(m.getName())) {
                    count(m.getName());
                }
                return invoke(c, m, args);
            };
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, h);
        }

        private void count(String what) {
            if (Thread.currentThread().getName().startsWith("courier-outbox-relay-")) {
                calls.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
            }
        }

        int relay(String what) {
            AtomicInteger n = calls.get(what);
            return n == null ? 0 : n.get();
        }

        private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    private MessageBus producer() {
        return closing(MessageBus.builder("ordering").transport("memory:" + broker).produces(OrderPlaced.class)
                .build()).start();
    }

    private Set<String> consumer() {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        closing(MessageBus.builder("shipping").transport("memory:" + broker)
                .onEvent(OrderPlaced.class, (e, ctx) -> seen.add(e.orderId())).build()).start();
        return seen;
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void whileRowsKeepComingTheRelaysBatchesShareOneConnectionSetUpOnce(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        Counting counting = new Counting(db.dataSource);
        Set<String> seen = consumer();
        JdbcOutbox outbox = JdbcOutbox.builder(counting.dataSource, producer()).table(db.table("outbox")).build()
                .createSchema();
        // a long poll interval: the relay backs off from 10 ms through ~40 s before it counts as idle
        OutboxRelay relay = closing(outbox.relay().pollInterval(Duration.ofSeconds(30)).purgeInterval(Duration.ZERO)
                .listen(false).start());
        int batches = 20;
        for (int i = 0; i < batches; i++) {
            try (Connection c = db.dataSource.getConnection()) {
                c.setAutoCommit(false);
                outbox.publish(c, new OrderPlaced("o-" + i, 1));
                c.commit();
                c.setAutoCommit(true);
            }
            String id = "o-" + i;
            Await.until(PATIENCE, () -> seen.contains(id), () -> "not published: " + id);
        }
        Await.until(PATIENCE, () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending());
        // the first, empty look before any write, then one connection for the whole run of batches
        int taken = counting.relay("getConnection");
        assertTrue(taken <= 2, "the relay kept its connection while rows kept coming: " + counting.calls);
        assertEquals(taken, relay.connectionsTaken());
        assertTrue(counting.relay("getTransactionIsolation") <= taken, "the isolation level is read once per"
                + " connection, not per batch: " + counting.calls);
        assertTrue(counting.relay("setTransactionIsolation") <= 2 * taken, "set and put back once per connection at"
                + " most: " + counting.calls);
        assertTrue(counting.relay("setAutoCommit") <= 2 * taken, "auto-commit off and back on once per connection: "
                + counting.calls);
        assertTrue(counting.relay("commit") >= batches, "one commit per batch still: " + counting.calls);
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void theRelaysConnectionGoesBackToThePoolAsItWasTaken(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.url);
        config.setMaximumPoolSize(2); // both are checked afterwards: the relay's is one of them
        config.setPoolName("relay-session-test");
        HikariDataSource one = closing(new HikariDataSource(config));
        Set<String> seen = consumer();
        JdbcOutbox outbox = JdbcOutbox.builder(one, producer()).table(db.table("outbox")).build().createSchema();
        try (Connection c = one.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 5; i++) {
                outbox.publish(c, new OrderPlaced("r-" + i, 1));
            }
            c.commit();
            c.setAutoCommit(true);
        }
        OutboxRelay relay = outbox.relay().pollInterval(Duration.ofMillis(50)).listen(false).start();
        try {
            Await.until(PATIENCE, () -> seen.size() == 5, () -> "not all published: " + seen);
        } finally {
            relay.close();
        }
        assertEquals(0, outbox.pending());
        try (Connection a = one.getConnection(); Connection b = one.getConnection()) {
            for (Connection c : List.of(a, b)) {
                assertTrue(c.getAutoCommit(), "auto-commit as the pool hands it out");
                assertEquals(defaultIsolation(kind), c.getTransactionIsolation(), "the isolation level as the pool hands it out");
                if (kind == Databases.Kind.POSTGRES) {
                    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                        rs.next();
                        assertEquals("on", rs.getString(1), "the relay's synchronous_commit = off stays with the relay");
                    }
                }
            }
        }
    }

    /** The servers' defaults: READ COMMITTED on PostgreSQL, REPEATABLE READ on MariaDB. */
    private static int defaultIsolation(Databases.Kind kind) {
        return kind == Databases.Kind.POSTGRES ? Connection.TRANSACTION_READ_COMMITTED
                : Connection.TRANSACTION_REPEATABLE_READ;
    }
}
