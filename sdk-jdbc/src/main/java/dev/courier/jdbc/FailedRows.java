package dev.courier.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The outbox's rows seen from the operator's side: how many wait, which ones the relay gave up on,
 * and making a failed row pending again or deleting it. Each method is one statement in its own
 * auto-commit transaction on the calling thread. Behind {@link JdbcOutbox#pending()},
 * {@link JdbcOutbox#failed}, {@link JdbcOutbox#retry} and {@link JdbcOutbox#discard}. Internal.
 */
final class FailedRows {
    private static final Logger log = LoggerFactory.getLogger(JdbcOutbox.class);

    private final DataSource dataSource;
    private final String table;
    private final Lazy<Dialect> dialect;

    FailedRows(DataSource dataSource, String table, Lazy<Dialect> dialect) {
        this.dataSource = dataSource;
        this.table = table;
        this.dialect = dialect;
    }

    long pending() {
        try {
            return Jdbc.autoCommit(dataSource, c -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table
                        + " WHERE sent_at IS NULL AND failed_at IS NULL")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
        } catch (SQLException e) {
            throw Jdbc.failure("could not count the pending rows of outbox " + table, e);
        }
    }

    List<JdbcOutbox.FailedRow> failed(int max) {
        if (max < 1) {
            throw new dev.courier.CourierException("max must be positive, was " + max);
        }
        try {
            return Jdbc.autoCommit(dataSource, c -> {
                List<JdbcOutbox.FailedRow> out = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id, message_id, message_type, aggregate_key, attempts,"
                        + " last_error, failed_at FROM " + table + " WHERE failed_at IS NOT NULL AND sent_at IS NULL"
                        + " ORDER BY id LIMIT ?")) {
                    ps.setInt(1, max);
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            out.add(new JdbcOutbox.FailedRow(rs.getLong(1), rs.getString(2), rs.getString(3),
                                    rs.getString(4), rs.getInt(5), rs.getString(6), dialect.get().instant(rs, 7)));
                        }
                    }
                }
                return out;
            });
        } catch (SQLException e) {
            throw Jdbc.failure("could not list the failed rows of outbox " + table, e);
        }
    }

    boolean retry(long rowId) {
        return updateFailed("UPDATE " + table + " SET failed_at = NULL, attempts = 0, next_attempt_at = NULL"
                + " WHERE id = ? AND failed_at IS NOT NULL AND sent_at IS NULL", rowId, "retry");
    }

    boolean discard(long rowId) {
        return updateFailed("DELETE FROM " + table + " WHERE id = ? AND failed_at IS NOT NULL AND sent_at IS NULL",
                rowId, "discard");
    }

    private boolean updateFailed(String sql, long rowId, String what) {
        try {
            boolean changed = Jdbc.autoCommit(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    ps.setLong(1, rowId);
                    return ps.executeUpdate() == 1;
                }
            });
            if (changed) {
                log.info("outbox {}: failed row {} {}", table, rowId, what.equals("retry") ? "is pending again" : "discarded");
            }
            return changed;
        } catch (SQLException e) {
            throw Jdbc.failure("could not " + what + " row " + rowId + " of outbox " + table, e);
        }
    }
}
