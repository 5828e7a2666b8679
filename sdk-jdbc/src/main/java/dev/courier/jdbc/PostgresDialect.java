package dev.courier.jdbc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;

/** PostgreSQL 9.6+: ON CONFLICT upserts, SKIP LOCKED, LISTEN/NOTIFY, ADD COLUMN IF NOT EXISTS. Internal. */
final class PostgresDialect extends Dialect {

    @Override
    String name() {
        return "postgresql";
    }

    @Override
    String now() {
        return "CURRENT_TIMESTAMP";
    }

    @Override
    String nowPlusMillisParam() {
        return "(CURRENT_TIMESTAMP + CAST(? AS DOUBLE PRECISION) * INTERVAL '1 millisecond')";
    }

    @Override
    boolean skipLocked() {
        return true;
    }

    @Override
    boolean notifies() {
        return true;
    }

    @Override
    boolean asyncCommit() {
        return true;
    }

    @Override
    boolean idArrays() {
        return true;
    }

    @Override
    String claimUpsert(String table) {
        return "INSERT INTO " + table + " AS i (service, message_id, state, owner, lease_until, updated_at)"
                + " VALUES (?, ?, 'claimed', ?, " + nowPlusMillisParam() + ", CURRENT_TIMESTAMP)"
                + " ON CONFLICT (service, message_id) DO UPDATE SET owner = EXCLUDED.owner,"
                + " lease_until = EXCLUDED.lease_until, updated_at = EXCLUDED.updated_at"
                + " WHERE i.state = 'claimed' AND i.lease_until < CURRENT_TIMESTAMP";
    }

    @Override
    boolean claimCountTellsOwnership() {
        return true;
    }

    @Override
    String completeUpsert(String table) {
        return "INSERT INTO " + table + " AS i (service, message_id, state, owner, lease_until, updated_at)"
                + " VALUES (?, ?, 'done', NULL, NULL, CURRENT_TIMESTAMP)"
                + " ON CONFLICT (service, message_id) DO UPDATE SET state = 'done', owner = NULL,"
                + " lease_until = NULL, updated_at = EXCLUDED.updated_at";
    }

    @Override
    String deleteLimited(String table, String keyColumns, String where) {
        return "DELETE FROM " + table + " WHERE (" + keyColumns + ") IN (SELECT " + keyColumns + " FROM " + table
                + " WHERE " + where + " LIMIT ?)";
    }

    @Override
    Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
