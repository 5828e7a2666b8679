package dev.courier.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds the real databases the tests run against: COURIER_POSTGRES_URL / COURIER_MARIADB_URL
 * (JDBC URLs), else the local defaults (PostgreSQL 127.0.0.1:5432 database test as postgres or
 * root with trust auth; MariaDB 127.0.0.1:3306 database test as root without password). A missing
 * database skips its tests with a message on how to run them, except when CI=true: then it fails.
 * Every table a test creates carries this run's prefix and is dropped after the test.
 */
final class Databases {
    enum Kind { POSTGRES, MARIADB }

    /** A reachable database: a pool, and the tables created in it during this test. */
    static final class Db {
        final Kind kind;
        final HikariDataSource dataSource;
        /** The JDBC URL (for child JVMs; may hold credentials, never print it). */
        final String url;
        final List<String> created = new ArrayList<>();

        Db(Kind kind, HikariDataSource dataSource, String url) {
            this.kind = kind;
            this.dataSource = dataSource;
            this.url = url;
        }

        /** A fresh table name for this run (dropped after the test). */
        synchronized String table(String base) {
            String name = PREFIX + "_" + base + "_" + created.size();
            created.add(name);
            return name;
        }

        /** A business table (id, message_id, n) without a unique key, so double effects show up as rows. */
        String businessTable() throws SQLException {
            String t = table("biz");
            String id = kind == Kind.POSTGRES ? "id BIGSERIAL PRIMARY KEY" : "id BIGINT AUTO_INCREMENT PRIMARY KEY";
            execute("CREATE TABLE " + t + " (" + id + ", message_id VARCHAR(64) NOT NULL, n INT NOT NULL)");
            return t;
        }

        void execute(String sql) throws SQLException {
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
                st.execute(sql);
            }
        }

        long count(String sql) {
            try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
                 var rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            } catch (SQLException e) {
                throw new AssertionError("query failed: " + sql, e);
            }
        }

        synchronized void dropCreated() {
            for (String t : created) {
                try {
                    execute("DROP TABLE IF EXISTS " + t);
                } catch (SQLException e) {
                    System.err.println("could not drop " + t + ": " + e);
                }
            }
            created.clear();
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase(Locale.ROOT);
        }
    }

    /** This run's table prefix: tables of concurrent or crashed runs never collide. */
    static final String PREFIX = "cj" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 41), 36);

    private static final Map<Kind, Object> OPENED = new EnumMap<>(Kind.class);

    private Databases() {
    }

    /** The database of {@code kind}, or the test is skipped (failed when CI=true). */
    static synchronized Db get(Kind kind) {
        Object known = OPENED.get(kind);
        if (known == null) {
            known = open(kind);
            OPENED.put(kind, known);
        }
        if (known instanceof String) {
            String why = (String) known;
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(why + " (CI=true: the databases are required)");
            }
            Assumptions.abort(why);
        }
        return (Db) known;
    }

    static synchronized void dropCreatedTables() {
        for (Object o : OPENED.values()) {
            if (o instanceof Db) {
                ((Db) o).dropCreated();
            }
        }
    }

    /** JDBC URLs to try for {@code kind}, first the environment's. */
    static List<String> candidates(Kind kind) {
        List<String> urls = new ArrayList<>();
        String env = System.getenv(kind == Kind.POSTGRES ? "COURIER_POSTGRES_URL" : "COURIER_MARIADB_URL");
        if (env != null && !env.isBlank()) {
            urls.add(env);
            return urls;
        }
        if (kind == Kind.POSTGRES) {
            urls.add("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
            urls.add("jdbc:postgresql://127.0.0.1:5432/test?user=root");
        } else {
            urls.add("jdbc:mariadb://127.0.0.1:3306/test?user=root&password=");
        }
        return urls;
    }

    private static Object open(Kind kind) {
        List<String> errors = new ArrayList<>();
        DriverManager.setLoginTimeout(3);
        for (String url : candidates(kind)) {
            try (Connection probe = DriverManager.getConnection(url)) {
                if (!probe.isValid(3)) {
                    throw new SQLException("connection not valid");
                }
                HikariConfig config = new HikariConfig();
                config.setJdbcUrl(url);
                config.setMaximumPoolSize(24);
                config.setConnectionTimeout(10_000);
                config.setPoolName("test-" + kind.name().toLowerCase(Locale.ROOT));
                HikariDataSource ds = new HikariDataSource(config);
                Runtime.getRuntime().addShutdownHook(new Thread(ds::close));
                return new Db(kind, ds, url);
            } catch (SQLException e) {
                errors.add(redact(url) + ": " + e.getMessage());
            }
        }
        String env = kind == Kind.POSTGRES ? "COURIER_POSTGRES_URL" : "COURIER_MARIADB_URL";
        return "no " + kind.name().toLowerCase(Locale.ROOT) + " database reachable (" + String.join("; ", errors)
                + "). Start " + (kind == Kind.POSTGRES ? "PostgreSQL on 127.0.0.1:5432 with a database 'test'"
                : "MariaDB on 127.0.0.1:3306 with a database 'test' and root without password")
                + ", or set " + env + " to a JDBC URL, then run: mvn -pl sdk-jdbc verify";
    }

    /** The URL without user info or password parameters. */
    static String redact(String url) {
        return url.replaceAll("//[^@/]*@", "//***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }
}
