package dev.courier.jdbc;

import dev.courier.ConfigurationException;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Locale;

/**
 * What differs between the databases Courier supports: time expressions, upserts, row locking
 * and wake-ups. Chosen once from {@link DatabaseMetaData}. Every time Courier stores or compares
 * is the database's own clock (UTC on MariaDB), so instances with skewed clocks agree on leases.
 * Internal.
 */
abstract class Dialect {

    /** The name used in script file names: {@code inbox-<name>.sql}. */
    abstract String name();

    /** An SQL expression for the database's current time. */
    abstract String now();

    /** An SQL expression for now plus a bound parameter of milliseconds (may be negative). */
    abstract String nowPlusMillisParam();

    /** True when {@code FOR UPDATE SKIP LOCKED} is available. */
    abstract boolean skipLocked();

    /** True when LISTEN/NOTIFY can wake relays early. */
    boolean notifies() {
        return false;
    }

    /** True when a session can commit without waiting for the log flush ({@code synchronous_commit = off}). */
    boolean asyncCommit() {
        return false;
    }

    /** True when the driver takes a {@code bigint} array for {@code id = ANY(?)}. */
    boolean idArrays() {
        return false;
    }

    /**
     * A claim in one statement: insert a claimed row, or take over a claim whose lease has run
     * out. Parameters: service, message id, owner, lease in milliseconds.
     */
    abstract String claimUpsert(String table);

    /**
     * True when the claim's update count is 1 exactly when the caller now owns the id; otherwise
     * the inbox reads the owner back (MariaDB counts an unchanged duplicate as found, or not, by
     * a driver setting the user controls).
     */
    abstract boolean claimCountTellsOwnership();

    /** Marks done whatever the row's state, inserting it when missing. */
    abstract String completeUpsert(String table);

    /** Deletes at most {@code ?} (last parameter) rows matching {@code where} (whose parameters come first). */
    abstract String deleteLimited(String table, String keyColumns, String where);

    /** Reads a time column this dialect wrote with {@link #now()} (null stays null). */
    abstract Instant instant(ResultSet rs, int column) throws SQLException;

    /** The dialect of the database behind {@code c}. */
    static Dialect of(Connection c) throws SQLException {
        DatabaseMetaData md = c.getMetaData();
        String product = md.getDatabaseProductName();
        String p = product == null ? "" : product.toLowerCase(Locale.ROOT);
        if (p.contains("postgres")) {
            return new PostgresDialect();
        }
        if (p.contains("mariadb") || p.contains("mysql")) {
            String version = md.getDatabaseProductVersion();
            boolean mariadb = p.contains("mariadb") || (version != null && version.toLowerCase(Locale.ROOT).contains("mariadb"));
            int major = md.getDatabaseMajorVersion();
            int minor = md.getDatabaseMinorVersion();
            boolean skipLocked = mariadb ? (major > 10 || (major == 10 && minor >= 6)) : major >= 8;
            return new MariaDbDialect(skipLocked);
        }
        throw new ConfigurationException("sdk-jdbc supports PostgreSQL and MariaDB (MySQL 8 on a best-effort basis);"
                + " the DataSource connects to '" + product + "'");
    }
}
