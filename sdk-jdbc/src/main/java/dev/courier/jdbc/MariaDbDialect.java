package dev.courier.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * MariaDB (10.6+ for SKIP LOCKED; older versions lock without skipping, so relays take turns),
 * and MySQL 8 on a best-effort basis. Times are UTC DATETIME(6). A claim is one INSERT ... ON DUPLICATE
 * KEY UPDATE whose update counts are ambiguous, so the owner is read back. Internal.
 */
final class MariaDbDialect extends Dialect {
    private final boolean skipLocked;

    MariaDbDialect(boolean skipLocked) {
        this.skipLocked = skipLocked;
    }

    @Override
    String name() {
        return "mariadb";
    }

    @Override
    String now() {
        return "UTC_TIMESTAMP(6)";
    }

    @Override
    String nowPlusMillisParam() {
        return "(UTC_TIMESTAMP(6) + INTERVAL (? * 1000) MICROSECOND)";
    }

    @Override
    boolean skipLocked() {
        return skipLocked;
    }

    @Override
    String claimUpsert(String table) {
        // Assignments run left to right: lease_until, which the condition reads, changes last.
        String expired = "state = 'claimed' AND lease_until < UTC_TIMESTAMP(6)";
        return "INSERT INTO " + table + " (service, message_id, state, owner, lease_until, updated_at)"
                + " VALUES (?, ?, 'claimed', ?, " + nowPlusMillisParam() + ", UTC_TIMESTAMP(6))"
                + " ON DUPLICATE KEY UPDATE owner = IF(" + expired + ", VALUES(owner), owner),"
                + " updated_at = IF(" + expired + ", VALUES(updated_at), updated_at),"
                + " lease_until = IF(" + expired + ", VALUES(lease_until), lease_until)";
    }

    @Override
    boolean claimCountTellsOwnership() {
        return false;
    }

    @Override
    String completeUpsert(String table) {
        return "INSERT INTO " + table + " (service, message_id, state, owner, lease_until, updated_at)"
                + " VALUES (?, ?, 'done', NULL, NULL, UTC_TIMESTAMP(6))"
                + " ON DUPLICATE KEY UPDATE state = 'done', owner = NULL, lease_until = NULL,"
                + " updated_at = VALUES(updated_at)";
    }

    @Override
    String deleteLimited(String table, String keyColumns, String where) {
        return "DELETE FROM " + table + " WHERE " + where + " LIMIT ?";
    }

    @Override
    Instant instant(ResultSet rs, int column) throws SQLException {
        LocalDateTime t = rs.getObject(column, LocalDateTime.class); // stored as UTC
        return t == null ? null : t.toInstant(ZoneOffset.UTC);
    }
}
