package dev.courier.jdbc;

import dev.courier.CourierException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.regex.Pattern;

/** Connection handling shared by the inbox, the outbox and the relay. Internal. */
final class Jdbc {
    /** A table name: an identifier, optionally qualified by a schema. */
    static final Pattern TABLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]{0,47}\\.)?[A-Za-z_][A-Za-z0-9_]{0,47}");

    private Jdbc() {
    }

    /** Work on one connection, returning a value. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} on a connection of {@code ds} as its own unit: with auto-commit as the pool
     * hands it out, or committed here when the pool hands out connections without auto-commit.
     */
    static <T> T autoCommit(DataSource ds, Work<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            if (c.getAutoCommit()) {
                return work.run(c);
            }
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    /** Runs {@code work} in one transaction at READ COMMITTED, restoring the connection's settings after. */
    static <T> T transaction(DataSource ds, Work<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int isolation = c.getTransactionIsolation();
            c.setAutoCommit(false);
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, e);
                throw e;
            } finally {
                try {
                    if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                        c.setTransactionIsolation(isolation);
                    }
                    c.setAutoCommit(autoCommit);
                } catch (SQLException broken) {
                    // the connection is gone; the pool discards it, and the real error (if any) is already thrown
                }
            }
        }
    }

    static void rollbackQuietly(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    static CourierException failure(String what, SQLException e) {
        return new CourierException(what + ": " + e.getMessage() + " (SQLState " + e.getSQLState() + ")", e);
    }

    /** {@code ?, ?, ?} for {@code n} parameters. */
    static String params(int n) {
        StringBuilder b = new StringBuilder(n * 3);
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "?" : ", ?");
        }
        return b.toString();
    }

    static void checkTable(List<String> problems, String setting, String table) {
        if (table == null || !TABLE.matcher(table).matches()) {
            problems.add(setting + " must be a table name ([A-Za-z_][A-Za-z0-9_]*, at most 48 characters,"
                    + " optionally schema-qualified), was '" + table + "'");
        }
    }

    static void checkPositive(List<String> problems, String setting, java.time.Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            problems.add(setting + " must be positive, was " + d);
        }
    }

    /** The purge settings the inbox and the relay share: retention positive, interval positive or zero (off), batch 1..100,000. */
    static void checkPurge(List<String> problems, String owner, java.time.Duration retention,
                           java.time.Duration purgeInterval, int purgeBatchSize) {
        checkPositive(problems, owner + " retention", retention);
        if (purgeInterval == null || purgeInterval.isNegative()) {
            problems.add(owner + " purgeInterval must be positive or zero (off), was " + purgeInterval);
        }
        if (purgeBatchSize < 1 || purgeBatchSize > 100_000) {
            problems.add(owner + " purgeBatchSize must be between 1 and 100000, was " + purgeBatchSize);
        }
    }
}
