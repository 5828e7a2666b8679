package dev.courier.bench.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.bench.Options;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The database of a JDBC scenario: {@code --db postgres|mariadb} (default postgres) at the local
 * defaults, or {@code --url <jdbc url>}; a pool of {@code --pool N} connections; tables with a
 * per-run prefix, dropped on close.
 */
final class BenchDb implements AutoCloseable {
    final String kind;
    final HikariDataSource dataSource;
    private final String prefix = "cb" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 31), 36);
    private final List<String> tables = new ArrayList<>();

    BenchDb(Options o) {
        kind = o.get("db", "postgres");
        String url = o.get("url", kind.startsWith("maria") ? "jdbc:mariadb://127.0.0.1:3306/test?user=root&password="
                : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(o.getInt("pool", 16));
        config.setPoolName("bench-" + kind);
        dataSource = new HikariDataSource(config);
    }

    String table(String base) {
        String t = prefix + "_" + base + "_" + tables.size();
        tables.add(t);
        return t;
    }

    String businessTable() throws SQLException {
        String t = table("biz");
        String id = kind.startsWith("maria") ? "id BIGINT AUTO_INCREMENT PRIMARY KEY" : "id BIGSERIAL PRIMARY KEY";
        execute("CREATE TABLE " + t + " (" + id + ", message_id VARCHAR(64) NOT NULL, n BIGINT NOT NULL)");
        return t;
    }

    void execute(String sql) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @Override
    public void close() {
        for (String t : tables) {
            try {
                execute("DROP TABLE IF EXISTS " + t);
            } catch (SQLException e) {
                System.err.println("could not drop " + t + ": " + e.getMessage());
            }
        }
        dataSource.close();
    }
}
