package dev.courier.jdbc;

import dev.courier.CourierException;
import dev.courier.spi.DeduplicationStore.Claim;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** The inbox's statements for one table, built once the dialect is known. Internal. */
final class InboxSql {

    final Dialect dialect;
    final String upsertClaim;
    final String stateAndOwner;
    final String state;
    final String complete;
    final String releaseOwned;
    final String markDone;
    final String insertDone;
    final String purge;

    InboxSql(Dialect d, String t) {
        dialect = d;
        upsertClaim = d.claimUpsert(t);
        stateAndOwner = "SELECT state, owner FROM " + t + " WHERE service = ? AND message_id = ?";
        state = "SELECT state FROM " + t + " WHERE service = ? AND message_id = ?";
        complete = d.completeUpsert(t);
        releaseOwned = "DELETE FROM " + t + " WHERE service = ? AND message_id = ? AND state = 'claimed' AND owner = ?";
        markDone = "UPDATE " + t + " SET state = 'done', owner = NULL, lease_until = NULL, updated_at = " + d.now()
                + " WHERE service = ? AND message_id = ? AND state = 'claimed'";
        insertDone = "INSERT INTO " + t + " (service, message_id, state, owner, lease_until, updated_at)"
                + " VALUES (?, ?, 'done', NULL, NULL, " + d.now() + ")";
        purge = d.deleteLimited(t, "service, message_id", "updated_at < " + d.nowPlusMillisParam()
                + " AND (state = 'done' OR lease_until < " + d.now() + ")");
    }

    /** The claim's outcome, or null when the row vanished between the statements (retry). */
    Claim claim(Connection c, String service, String id, String owner, long leaseMillis) throws SQLException {
        int count;
        try (PreparedStatement ps = c.prepareStatement(upsertClaim)) {
            ps.setString(1, service);
            ps.setString(2, id);
            ps.setString(3, owner);
            ps.setLong(4, leaseMillis);
            count = ps.executeUpdate();
        }
        if (dialect.claimCountTellsOwnership() && count == 1) {
            return Claim.ACQUIRED;
        }
        try (PreparedStatement ps = c.prepareStatement(stateAndOwner)) {
            ps.setString(1, service);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                if ("done".equals(rs.getString(1))) {
                    return Claim.DONE;
                }
                return owner.equals(rs.getString(2)) ? Claim.ACQUIRED : Claim.IN_PROGRESS;
            }
        }
    }

    String state(Connection c, String service, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(state)) {
            ps.setString(1, service);
            ps.setString(2, id);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** In the caller's transaction: false when the id is already done. */
    boolean markDone(Connection c, String service, String id) throws SQLException {
        if (run(c, markDone, service, id, null) == 1) {
            return true;
        }
        String st = state(c, service, id);
        if ("done".equals(st)) {
            return false;
        }
        if (st != null) {
            throw new CourierException("inbox: message id " + StoredId.show(id)
                    + " changed state while being marked done; retrying");
        }
        run(c, insertDone, service, id, null);
        return true;
    }

    /** Runs a statement whose parameters are service, message id and, when given, the owner. */
    static int run(Connection c, String sql, String service, String messageId, String owner) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, service);
            ps.setString(2, messageId);
            if (owner != null) {
                ps.setString(3, owner);
            }
            return ps.executeUpdate();
        }
    }
}
