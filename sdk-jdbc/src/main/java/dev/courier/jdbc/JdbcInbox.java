package dev.courier.jdbc;

import dev.courier.ConfigurationException;
import dev.courier.Handler;
import dev.courier.spi.DeduplicationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A durable {@link DeduplicationStore} in one table of your database, shared by every instance of
 * a service and kept across restarts. Plug it into a bus with
 * {@code MessageBus.builder("billing").deduplicationStore(inbox)}.
 *
 * <p>Each method is one statement (a claim reads its outcome back with a second one on MariaDB, and
 * on PostgreSQL when the id was known), safe
 * when instances race: exactly one claim of an id succeeds; a claim whose lease runs out (its
 * instance crashed) can be taken over; a release only removes this claim, never someone else's.
 * Times are the database's clock, so instances with skewed clocks agree.
 *
 * <p>With {@link #transactional} the handler's own database work, the "done" mark and the outbox
 * rows it writes commit in one transaction: the effect happens once even if the process dies at
 * any point. Without it, a crash after the handler's work but before {@link #complete} lets the
 * message run again (at-least-once); make such handlers idempotent.
 *
 * <p>Done ids are purged after {@link Builder#retention} in batches of {@link Builder#purgeBatchSize}
 * by a daemon thread every {@link Builder#purgeInterval}; {@link #close()} stops it. A duplicate
 * that arrives after its id was purged is handled again: keep the retention longer than the
 * longest time a message can be redelivered. Thread safe.
 *
 * <p>Any message id is kept, and two different ids never share a row: an id the table cannot keep
 * exactly (over 255 characters, NUL, unpaired surrogates, a trailing space) is stored as
 * {@code sha256~<hex>} of the id (see docs/jdbc.md). Each method runs its statements on the
 * calling thread.
 */
public final class JdbcInbox implements DeduplicationStore, AutoCloseable {
    /**
     * The table name by default.
     *
     */
    public static final String DEFAULT_TABLE = "courier_inbox";
    /**
     * How long done ids are remembered by default: 7 days.
     *
     */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    /**
     * How often the purge thread runs by default: every 5 minutes.
     *
     */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(5);
    /**
     * Rows deleted per purge statement by default.
     *
     */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;
    /** At most this many batches per purge run, so one run never holds the database for long. */
    static final int MAX_BATCHES_PER_RUN = 1000;

    private static final Logger log = LoggerFactory.getLogger(JdbcInbox.class);
    /** In {@link #owners}: the id was marked done inside a transactional handler; complete() has nothing to do. */
    private static final String DONE_IN_TRANSACTION = "\u0000done";

    private final DataSource dataSource;
    private final String table;
    private final Duration retention;
    private final int purgeBatchSize;
    private final Map<String, String> owners = new ConcurrentHashMap<>();
    private final Lazy<InboxSql> sql;
    private final Purger purger;

    private JdbcInbox(Builder b) {
        this.dataSource = b.dataSource;
        this.table = b.table;
        this.retention = b.retention;
        this.purgeBatchSize = b.purgeBatchSize;
        this.sql = new Lazy<>(() -> new InboxSql(Jdbc.autoCommit(dataSource, Dialect::of), table));
        this.purger = b.purgeInterval.isZero() ? null : new Purger("courier-inbox-purge-" + table, b.purgeInterval, this::purge);
    }

    /**
     * A builder for an inbox in the database of {@code dataSource}.
     *
     * @param dataSource the database; a null one is reported by {@link Builder#build()}
     * @return a new builder
     */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * Creates the table and its index if they do not exist (the script {@code inbox-<database>.sql}).
     *
     * Runs on the calling thread, in its own auto-commit transaction.
     * @return this inbox
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public JdbcInbox createSchema() {
        try {
            Jdbc.autoCommit(dataSource, c -> {
                Schema.create(c, "inbox", sql.get().dialect, table);
                return null;
            });
        } catch (SQLException e) {
            throw Jdbc.failure("could not create the inbox table " + table, e);
        }
        log.info("inbox table {} ready", table);
        return this;
    }

    /**
     * The table this inbox uses.
     *
     * @return the table name as configured (possibly schema-qualified)
     */
    public String table() {
        return table;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Any id is accepted: one the table cannot keep exactly (over 255 characters, NUL, an
     * unpaired surrogate, a trailing space) is kept by its SHA-256 (see docs/jdbc.md). Throws
     * {@link UnstorableIdException} when the database refuses the value anyway (a narrowed
     * column), and a {@link dev.courier.CourierException} naming the id when the database fails.
     */
    @Override
    public Claim claim(String service, String messageId, Duration lease) {
        String owner = UUID.randomUUID().toString();
        String stored = StoredId.of(messageId);
        InboxSql s = sql.get();
        try {
            Claim claim = Jdbc.autoCommit(dataSource, c -> {
                for (int round = 0; round < 3; round++) {
                    Claim result = s.claim(c, service, stored, owner, lease.toMillis());
                    if (result != null) {
                        return result;
                    }
                    // released between the two statements: try again
                }
                return Claim.IN_PROGRESS;
            });
            if (claim == Claim.ACQUIRED) {
                owners.put(key(service, messageId), owner);
            }
            return claim;
        } catch (SQLException e) {
            throw failure("claim", service, messageId, e);
        }
    }

    @Override
    public void complete(String service, String messageId) {
        if (DONE_IN_TRANSACTION.equals(owners.remove(key(service, messageId)))) {
            return; // committed with the handler's transaction
        }
        try {
            Jdbc.autoCommit(dataSource, c -> InboxSql.run(c, sql.get().complete, service, StoredId.of(messageId), null));
        } catch (SQLException e) {
            throw failure("mark done", service, messageId, e);
        }
    }

    @Override
    public void release(String service, String messageId) {
        String owner = owners.remove(key(service, messageId));
        if (owner == null || DONE_IN_TRANSACTION.equals(owner)) {
            // not claimed through this instance (or released twice): another's claim stays; leases end lost ones
            return;
        }
        InboxSql s = sql.get();
        try {
            Jdbc.autoCommit(dataSource, c -> InboxSql.run(c, s.releaseOwned, service, StoredId.of(messageId), owner));
        } catch (SQLException e) {
            throw failure("release", service, messageId, e);
        }
    }

    /** A data exception (SQLState class 22) means this value can never be stored: no retry helps. */
    private RuntimeException failure(String what, String service, String messageId, SQLException e) {
        String text = "inbox " + table + " could not " + what + " message id " + StoredId.show(messageId)
                + " of service '" + service + "'";
        String state = e.getSQLState();
        if (state != null && state.startsWith("22")) {
            return new UnstorableIdException(text + ": the database refuses the value (" + e.getMessage() + ", SQLState "
                    + state + "); the inbox table's columns must be as in the script inbox-" + sql.get().dialect.name()
                    + ".sql (service VARCHAR(64), message_id VARCHAR(255))", service, messageId, e);
        }
        return Jdbc.failure(text, e);
    }

    /**
     * Wraps {@code handler} so that its work on the given connection, the "done" mark of the
     * message for {@code service} (the name the bus was built with) and the outbox rows it writes
     * commit together. A message already done (by another instance whose lease ran out, say) is
     * skipped without running the handler. See {@link TransactionalHandler}.
     *
     * @param <T> the handled message type
     * @param service the bus's service name, 1 to 64 characters
     * @param handler the work to run in the transaction; never null
     * @return a handler to register on the bus; it runs {@code handler} on the bus's handler thread, with a connection from this inbox's DataSource, and rethrows what it throws after a rollback
     * @throws dev.courier.ConfigurationException when {@code service} is empty or longer than 64 characters
     * @throws NullPointerException when an argument is null
     */
    public <T> Handler<T> transactional(String service, TransactionalHandler<? super T> handler) {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(handler, "handler");
        if (service.isEmpty() || service.length() > 64) {
            throw new dev.courier.ConfigurationException("transactional: service must be the bus's service name (1 to 64 characters),"
                    + " was " + service.length() + " characters");
        }
        return (message, ctx) -> {
            try (Connection c = dataSource.getConnection()) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    if (!markDone(c, service, ctx.messageId())) {
                        c.rollback();
                        owners.put(key(service, ctx.messageId()), DONE_IN_TRANSACTION);
                        log.debug("{} {} is already done for service '{}': handler skipped", ctx.envelope().type(),
                                ctx.messageId(), service);
                        return;
                    }
                    handler.handle(message, ctx, c);
                    c.commit();
                    owners.put(key(service, ctx.messageId()), DONE_IN_TRANSACTION);
                } catch (Exception | Error e) {
                    Jdbc.rollbackQuietly(c, e);
                    throw e;
                } finally {
                    c.setAutoCommit(autoCommit);
                }
            }
        };
    }

    private boolean markDone(Connection c, String service, String messageId) {
        try {
            return sql.get().markDone(c, service, StoredId.of(messageId));
        } catch (SQLException e) {
            throw failure("mark done", service, messageId, e);
        }
    }

    /**
     * Deletes done ids (and claims whose lease ran out) older than the retention, in batches;
     * returns how many rows went. Runs by itself every purge interval; call it to purge now.
     *
     * Runs on the calling thread.
     * @return how many rows were deleted (at most 1000 batches in one call)
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public int purge() {
        InboxSql s = sql.get();
        int total = 0;
        try {
            for (int batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
                int n = Jdbc.autoCommit(dataSource, c -> {
                    try (PreparedStatement ps = c.prepareStatement(s.purge)) {
                        ps.setLong(1, -retention.toMillis());
                        ps.setInt(2, purgeBatchSize);
                        return ps.executeUpdate();
                    }
                });
                total += n;
                if (n < purgeBatchSize) {
                    break;
                }
            }
        } catch (SQLException e) {
            throw Jdbc.failure("inbox " + table + " could not purge", e);
        }
        if (total > 0) {
            log.debug("inbox {}: purged {} row(s) older than {}", table, total, retention);
        }
        return total;
    }

    /** Stops the purge thread. The DataSource is yours: it stays open. Idempotent. */
    @Override
    public void close() {
        if (purger != null) {
            purger.close();
        }
    }

    private static String key(String service, String id) {
        return service + '\u0000' + id;
    }

    /**
     * Configures a {@link JdbcInbox}. {@link #build()} checks every setting at once and names each
     * invalid one in a {@link ConfigurationException}.
     */
    public static final class Builder {
        private final DataSource dataSource;
        private String table = DEFAULT_TABLE;
        private Duration retention = DEFAULT_RETENTION;
        private Duration purgeInterval = DEFAULT_PURGE_INTERVAL;
        private int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;

        private Builder(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        /**
         * The table (default {@value #DEFAULT_TABLE}); may be schema-qualified.
         *
         * @param table the table's name
         * @return this builder
         */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /**
         * How long done ids are remembered (default 7 days). Longer than any redelivery can take.
         *
         * @param retention positive
         * @return this builder
         */
        public Builder retention(Duration retention) {
            this.retention = retention;
            return this;
        }

        /**
         * How often the purge thread runs (default 5 minutes); {@link Duration#ZERO} turns it off.
         *
         * @param interval positive, or zero for no purge thread
         * @return this builder
         */
        public Builder purgeInterval(Duration interval) {
            this.purgeInterval = interval;
            return this;
        }

        /**
         * Rows deleted per statement when purging (default 1000).
         *
         * @param size at least 1
         * @return this builder
         */
        public Builder purgeBatchSize(int size) {
            this.purgeBatchSize = size;
            return this;
        }

        /**
         * Builds the inbox; connects to the database only when first used.
         *
         * @return the inbox, with its purge thread started unless the interval is zero
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public JdbcInbox build() {
            List<String> problems = new ArrayList<>();
            if (dataSource == null) {
                problems.add("inbox dataSource must not be null");
            }
            Jdbc.checkTable(problems, "inbox table", table);
            Jdbc.checkPurge(problems, "inbox", retention, purgeInterval, purgeBatchSize);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new JdbcInbox(this);
        }
    }
}
