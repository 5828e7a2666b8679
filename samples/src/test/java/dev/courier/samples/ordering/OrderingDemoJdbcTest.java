package dev.courier.samples.ordering;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.MessageBus;
import dev.courier.jdbc.JdbcOutbox;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@code --jdbc <URL>}: the demo with the durable inbox and the outbox, on each database sdk-jdbc
 * supports. Each test gets its own schema (PostgreSQL) or database (MariaDB), dropped after it, so
 * the demo's fixed table names never meet another run's.
 */
class OrderingDemoJdbcTest {

    @ParameterizedTest
    @ValueSource(strings = {"COURIER_POSTGRES_URL", "COURIER_MARIADB_URL"})
    void theWholeStoryHappensWithTheInboxAndOutbox(String env) throws SQLException {
        try (Scratch db = Scratch.open(env)) {
            String out = run("memory:demo-" + UUID.randomUUID(), db.url);
            assertTrue(out.contains("durable inbox"), out);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"COURIER_POSTGRES_URL", "COURIER_MARIADB_URL"})
    void anOutboxRowLeftByAnEarlierRunIsRelayedButNotCounted(String env) throws Exception {
        try (Scratch db = Scratch.open(env)) {
            String broker = "memory:demo-" + UUID.randomUUID();
            run(broker, db.url); // creates the tables, as any earlier run did
            HikariConfig pool = new HikariConfig();
            pool.setJdbcUrl(db.url);
            try (HikariDataSource ds = new HikariDataSource(pool); Connection c = ds.getConnection()) {
                MessageBus crashed = MessageBus.builder("ordering").transport(broker).produces(OrderPlaced.class).build();
                JdbcOutbox outbox = JdbcOutbox.builder(ds, crashed).table("demo_outbox").build();
                outbox.publish(c, new OrderPlaced("order-left", "carol",
                        List.of(new Line("BOOK-42", 1, BigDecimal.TEN)), BigDecimal.TEN), "order-left");
                crashed.close(); // committed, never relayed: a run that died after its commit
            }
            String out = run(broker, db.url);
            assertTrue(out.contains("left over from earlier runs"), out);
        }
    }

    static String run(String uri, String url) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = new OrderingDemo(uri, url, new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "the demo should tell the whole story:\n" + out);
        return out;
    }

    /** A schema (PostgreSQL) or database (MariaDB) of its own; skipped when unreachable (failed when CI=true). */
    record Scratch(String admin, String url, String name) implements AutoCloseable {
        static Scratch open(String env) throws SQLException {
            String admin = System.getenv(env);
            boolean pg = env.contains("POSTGRES");
            if (admin == null || admin.isBlank()) {
                admin = pg ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres" : "jdbc:mariadb://127.0.0.1:3306/test?user=root";
            }
            String name = "demo_" + UUID.randomUUID().toString().substring(0, 8);
            DriverManager.setLoginTimeout(3);
            try (Connection c = DriverManager.getConnection(admin); Statement st = c.createStatement()) {
                st.execute(pg ? "CREATE SCHEMA " + name : "CREATE DATABASE " + name);
            } catch (SQLException e) {
                String why = "no database at " + admin.replaceAll("(?i)(password=)[^&]*", "$1***") + " (" + e.getMessage()
                        + "); set " + env + " to a JDBC URL to run this test";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    fail(why);
                }
                Assumptions.abort(why);
            }
            String url = pg ? admin + (admin.contains("?") ? "&" : "?") + "currentSchema=" + name
                    : admin.replaceFirst("(jdbc:mariadb://[^/]+/)[^?]*", "$1" + name);
            return new Scratch(admin, url, name);
        }

        @Override
        public void close() throws SQLException {
            try (Connection c = DriverManager.getConnection(admin); Statement st = c.createStatement()) {
                st.execute(admin.startsWith("jdbc:postgresql") ? "DROP SCHEMA " + name + " CASCADE" : "DROP DATABASE " + name);
            }
        }
    }
}
