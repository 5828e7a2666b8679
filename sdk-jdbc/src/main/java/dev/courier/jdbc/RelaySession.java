package dev.courier.jdbc;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The relay thread's connection while rows keep coming. It is set up once when taken from the
 * pool — auto-commit off, READ COMMITTED, and on PostgreSQL optionally {@code synchronous_commit}
 * off — and then runs one transaction per batch with nothing else on the wire: a batch costs its
 * locking select, its mark update and its commit, not also a read of the isolation level, two
 * changes of it and two of auto-commit (2 to 4 more round trips per batch, more than the batch's
 * own statements when batches are small). {@link #release()} puts every setting back as it found
 * it and returns the connection to the pool: the relay calls it when it goes idle, after a failed
 * batch, after {@link #MAX_HOLD_NANOS} (so the pool can still retire old connections), and when it
 * stops. A setting that cannot be put back closes the connection for good ({@link Connection#abort}),
 * so the pool never hands out a connection with the relay's settings. Used by the relay thread only. Internal.
 */
final class RelaySession {
    /** How long one connection is kept before it goes back to the pool (and a fresh one is taken). */
    static final long MAX_HOLD_NANOS = 30_000_000_000L;

    private final DataSource dataSource;
    private final boolean asyncCommit;
    private Connection c;
    private boolean autoCommit;
    private int isolation;
    /** The session's synchronous_commit before the relay changed it, or null when unchanged. */
    private String synchronousCommit;
    private long since;
    /** Connections taken from the pool, for tests. */
    private long opened;

    /**
     * @param asyncCommit on PostgreSQL, commit the relay's marks without waiting for their WAL
     *                    flush (a mark lost in a database crash means the row is published again,
     *                    with the same message id, which the receivers' inbox drops)
     */
    RelaySession(DataSource dataSource, boolean asyncCommit) {
        this.dataSource = dataSource;
        this.asyncCommit = asyncCommit;
    }

    /** Runs {@code work} in one transaction at READ COMMITTED on the held connection, taking one first if needed. */
    <T> T transaction(Jdbc.Work<T> work) throws SQLException {
        if (c != null && System.nanoTime() - since > MAX_HOLD_NANOS) {
            release();
        }
        if (c == null) {
            open();
        }
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            Jdbc.rollbackQuietly(c, e);
            release(); // the connection may be broken: the next batch takes a fresh one
            throw e;
        }
    }

    long opened() {
        return opened;
    }

    private void open() throws SQLException {
        Connection taken = dataSource.getConnection();
        try {
            autoCommit = taken.getAutoCommit();
            isolation = taken.getTransactionIsolation();
            synchronousCommit = null;
            if (autoCommit) {
                taken.setAutoCommit(false);
            } else {
                taken.rollback(); // start clean: nothing of a previous user's transaction is ours to commit
            }
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                taken.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
            }
            if (asyncCommit) {
                try (Statement st = taken.createStatement()) {
                    String before;
                    try (ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                        before = rs.next() ? rs.getString(1) : null;
                    }
                    if (before != null && !before.equalsIgnoreCase("off")) {
                        st.execute("SET synchronous_commit = off");
                        synchronousCommit = before;
                    }
                }
                taken.commit(); // the settings' transaction (pgjdbc began one for the SHOW)
            }
        } catch (SQLException | RuntimeException | Error e) {
            c = taken;
            discard(e);
            throw e;
        }
        c = taken;
        since = System.nanoTime();
        opened++;
    }

    /** Puts the connection's settings back and returns it to the pool; does nothing when none is held. */
    void release() {
        if (c == null) {
            return;
        }
        try {
            if (synchronousCommit != null) {
                try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT set_config('synchronous_commit', ?, false)")) {
                    ps.setString(1, synchronousCommit);
                    ps.execute();
                }
                c.commit();
            }
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(isolation);
            }
            if (autoCommit) {
                c.setAutoCommit(true);
            }
        } catch (SQLException | RuntimeException e) {
            discard(e);
            return;
        }
        try {
            c.close();
        } catch (SQLException e) {
            OutboxRelay.log.debug("relay connection close failed: {}", e.toString());
        } finally {
            c = null;
        }
    }

    /** Closes the connection for good: the pool drops it instead of handing it out with our settings. */
    private void discard(Throwable cause) {
        Connection gone = c;
        c = null;
        try {
            gone.abort(Runnable::run);
        } catch (SQLException | RuntimeException e) {
            cause.addSuppressed(e);
        }
        try {
            gone.close();
        } catch (SQLException e) {
            // aborted: closing only returns the proxy
        }
    }
}
