package dev.courier.jdbc;

import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * While the database is unreachable the relay (and its LISTEN connection) come back after growing,
 * jittered delays instead of every poll interval, and publish again soon after it is back.
 */
class RelayOutageTest {
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
    void anUnreachableDatabaseIsTriedAfterGrowingDelaysAndTheRelayResumes(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        Switchable ds = new Switchable(db.dataSource);
        String broker = "outage-" + UUID.randomUUID();
        MessageBus ordering = MessageBus.builder("ordering").transport("memory:" + broker).produces(OrderPlaced.class).build();
        toClose.add(ordering);
        ordering.start();
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        MessageBus shipping = MessageBus.builder("shipping").transport("memory:" + broker).deduplicationStore(new PassThroughStore())
                .onEvent(OrderPlaced.class, (e, ctx) -> seen.add(e.orderId())).build();
        toClose.add(shipping);
        shipping.start();
        JdbcOutbox outbox = JdbcOutbox.builder(ds, ordering).table(db.table("outbox")).build().createSchema();

        ds.up = false;
        int before = ds.calls.get();
        toClose.add(outbox.relay().pollInterval(Duration.ofMillis(20)).retryBackoff(Duration.ofMillis(20), Duration.ofSeconds(1))
                .start());
        // every 20 ms would be about 150 tries (300 with the LISTEN connection); growing delays: about 10 per thread
        Await.stays(Duration.ofSeconds(3), () -> ds.calls.get() - before <= 30,
                () -> "connection attempts in 3 s while the database was down: " + (ds.calls.get() - before));

        OutboxTest.write(db, outbox, 1, null); // committed through the real pool meanwhile
        ds.up = true;
        Await.until(Duration.ofSeconds(30), () -> seen.size() == 1, () -> "the relay did not resume");
    }

    /** The test pool, or "connection refused" while {@link #up} is false; counts getConnection calls. */
    static final class Switchable implements DataSource {
        final DataSource real;
        final AtomicInteger calls = new AtomicInteger();
        volatile boolean up = true;

        Switchable(DataSource real) {
            this.real = real;
        }

        @Override
        public Connection getConnection() throws SQLException {
            calls.incrementAndGet();
            if (!up) {
                throw new SQLTransientConnectionException("connection refused (test: database down)", "08001");
            }
            return real.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return real.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            real.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            real.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return real.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return real.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return real.isWrapperFor(iface);
        }
    }
}
