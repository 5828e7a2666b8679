package dev.courier.jdbc;

import dev.courier.Command;
import dev.courier.ConfigurationException;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.PreparedMessage;
import dev.courier.spi.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The transactional outbox: {@link #publish} and {@link #send} write a message into the outbox
 * table <em>inside your transaction</em>, so it exists exactly when your business change commits;
 * an {@link OutboxRelay} then publishes committed rows through the bus's transport, with confirms.
 *
 * <pre>{@code
 * JdbcOutbox outbox = JdbcOutbox.builder(dataSource, bus).build().createSchema();
 * OutboxRelay relay = outbox.relay().start();
 * try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     ... INSERT INTO orders ...
 *     outbox.publish(c, new OrderPlaced(orderId, total), orderId);   // key: order of one order's messages
 *     c.commit();                                                    // rolled back: nothing is published
 * }
 * }</pre>
 *
 * <p>The message gets its id, correlation and time now (inside a handler: ids derived from the
 * handled message, so a handler that runs again writes the same ids and receivers' inboxes drop the
 * copy). Messages with the same aggregate key are published in the order they were written; keep
 * one aggregate's transactions serialised (they normally lock the aggregate's row) for that order
 * to be the commit order. A write wakes the running relays of this outbox object directly; when
 * none runs in this process, on PostgreSQL it notifies the relays of other processes
 * (LISTEN/NOTIFY, delivered at commit; PostgreSQL serialises the commits of notifying
 * transactions, so a local relay is the faster setup). Thread safe.
 *
 * <p>Every write runs on the calling thread, in the caller's transaction, and checks the message
 * first: one that breaks a size limit (see docs/jdbc.md) throws {@link dev.courier.LimitExceededException}
 * and an aggregate key or explicit id the table cannot store throws {@link dev.courier.PublishException},
 * both before anything reaches the database, so the transaction stays usable and no row that can
 * never be published is committed. A row the relay gives up on is kept as failed: {@link #failed},
 * {@link #retry}, {@link #discard}.
 */
public final class JdbcOutbox {
    /**
     * The table name by default.
     *
     */
    public static final String DEFAULT_TABLE = "courier_outbox";
    /** The longest aggregate key, in characters. */
    public static final int MAX_KEY_LENGTH = 255;

    private static final Logger log = LoggerFactory.getLogger(JdbcOutbox.class);

    private final DataSource dataSource;
    private final MessageBus bus;
    private final String table;
    private final boolean notify;
    private final String channel;
    private final Lazy<Dialect> dialect;
    private final FailedRows rows;
    /** The row's INSERT, built once. */
    private final Lazy<String> insert;
    /** The started relays of this outbox object: a write wakes them instead of notifying. */
    private final java.util.Set<OutboxRelay> relays = new java.util.concurrent.CopyOnWriteArraySet<>();

    private JdbcOutbox(Builder b) {
        this.dataSource = b.dataSource;
        this.bus = b.bus;
        this.table = b.table;
        this.notify = b.notify;
        this.channel = table.replace('.', '_').toLowerCase(Locale.ROOT);
        this.dialect = new Lazy<>(() -> Jdbc.autoCommit(dataSource, Dialect::of));
        this.rows = new FailedRows(dataSource, table, dialect);
        this.insert = new Lazy<>(() -> "INSERT INTO " + table + " (aggregate_key, message_id,"
                + " message_type, address_kind, address_name, address_group, headers, body, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, " + dialect.get().now() + ")");
    }

    /**
     * A builder for an outbox in the database of {@code dataSource}, publishing through {@code bus}.
     *
     * @param dataSource the database
     * @param bus the bus that names, encodes and publishes the messages
     * @return a new builder; nulls are reported by {@link Builder#build()}
     */
    public static Builder builder(DataSource dataSource, MessageBus bus) {
        return new Builder(dataSource, bus);
    }

    /**
     * Creates the table and its indexes if they do not exist (the script {@code outbox-<database>.sql}).
     *
     * Runs on the calling thread, in its own auto-commit transaction.
     * @return this outbox
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public JdbcOutbox createSchema() {
        try {
            Jdbc.autoCommit(dataSource, c -> {
                Schema.create(c, "outbox", dialect.get(), table);
                return null;
            });
        } catch (SQLException e) {
            throw Jdbc.failure("could not create the outbox table " + table, e);
        }
        log.info("outbox table {} ready", table);
        return this;
    }

    /**
     * Writes {@code event} into the outbox in the transaction of {@code connection}; returns its message id.
     *
     * @param connection a connection in the caller's transaction, not committed or closed here
     * @param event the event
     * @return the written message's id (its CloudEvents {@code id})
     * @throws SQLException when the insert fails; the caller's transaction decides what happens (usually a rollback)
     * @throws dev.courier.LimitExceededException when the message breaks a size limit (nothing written)
     * @throws dev.courier.PublishException when the message's explicit id cannot be stored (nothing written)
     */
    public String publish(Connection connection, Event event) throws SQLException {
        return write(connection, event, null, Map.of());
    }

    /**
     * As {@link #publish(Connection, Event)}; messages with one {@code aggregateKey} keep their order.
     *
     * @param connection a connection in the caller's transaction
     * @param event the event
     * @param aggregateKey the ordering key, at most {@link #MAX_KEY_LENGTH} characters, or null for none
     * @return the written message's id (its CloudEvents {@code id})
     * @throws SQLException when the insert fails; the caller's transaction decides what happens (usually a rollback)
     * @throws dev.courier.LimitExceededException when the message breaks a size limit (nothing written)
     * @throws dev.courier.PublishException when the aggregate key or the message's explicit id cannot be stored (nothing written)
     */
    public String publish(Connection connection, Event event, String aggregateKey) throws SQLException {
        return write(connection, event, aggregateKey, Map.of());
    }

    /**
     * As {@link #publish(Connection, Event, String)} with extra headers (CloudEvents extension names).
     *
     * @param connection a connection in the caller's transaction
     * @param event the event
     * @param aggregateKey the ordering key, or null for none
     * @param headers extension attributes by CloudEvents name; never null
     * @return the written message's id (its CloudEvents {@code id})
     * @throws SQLException when the insert fails; the caller's transaction decides what happens (usually a rollback)
     * @throws dev.courier.LimitExceededException when the message breaks a size limit (nothing written)
     * @throws dev.courier.PublishException when the aggregate key or the message's explicit id cannot be stored (nothing written)
     */
    public String publish(Connection connection, Event event, String aggregateKey, Map<String, String> headers)
            throws SQLException {
        return write(connection, event, aggregateKey, headers);
    }

    /**
     * Writes {@code command} into the outbox in the transaction of {@code connection}; returns its message id.
     *
     * @param connection a connection in the caller's transaction, not committed or closed here
     * @param command the command
     * @return the written message's id (its CloudEvents {@code id})
     * @throws SQLException when the insert fails; the caller's transaction decides what happens (usually a rollback)
     * @throws dev.courier.LimitExceededException when the message breaks a size limit (nothing written)
     * @throws dev.courier.PublishException when the message's explicit id cannot be stored (nothing written)
     */
    public String send(Connection connection, Command command) throws SQLException {
        return write(connection, command, null, Map.of());
    }

    /**
     * As {@link #send(Connection, Command)}; messages with one {@code aggregateKey} keep their order.
     *
     * @param connection a connection in the caller's transaction
     * @param command the command
     * @param aggregateKey the ordering key, at most {@link #MAX_KEY_LENGTH} characters, or null for none
     * @return the written message's id (its CloudEvents {@code id})
     * @throws SQLException when the insert fails; the caller's transaction decides what happens (usually a rollback)
     * @throws dev.courier.LimitExceededException when the message breaks a size limit (nothing written)
     * @throws dev.courier.PublishException when the aggregate key or the message's explicit id cannot be stored (nothing written)
     */
    public String send(Connection connection, Command command, String aggregateKey) throws SQLException {
        return write(connection, command, aggregateKey, Map.of());
    }

    /**
     * A relay builder for this outbox; {@code outbox.relay().start()} starts one with the defaults.
     *
     * @return a new relay builder for this outbox
     */
    public OutboxRelay.Builder relay() {
        return OutboxRelay.builder(this);
    }

    /**
     * Rows waiting to be published, failed ones not included (for health checks and metrics).
     *
     * Runs one query on the calling thread.
     * @return the count of unsent, not failed rows
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public long pending() {
        return rows.pending();
    }

    /**
     * A row the relay gave up on: it is kept, with its last error, until {@link #retry} or
     * {@link #discard}; it no longer holds back the rows behind it in its aggregate key.
     *
     * @param rowId        the row's {@code id}
     * @param aggregateKey null for a row without one
     * @param attempts     publish attempts made (1 for a row failed at once: unreadable, or over a limit)
     * @param failedAt     when the relay gave up (the database's clock)
     */
    public record FailedRow(long rowId, String messageId, String messageType, String aggregateKey, int attempts,
                            String lastError, Instant failedAt) {
    }

    /**
     * Up to {@code max} failed rows, oldest first. Runs one query on the calling thread.
     *
     * @param max at least 1
     * @return the failed rows, oldest first; empty when there are none
     * @throws dev.courier.CourierException when {@code max} is below 1
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public List<FailedRow> failed(int max) {
        return rows.failed(max);
    }

    /**
     * Makes a failed row pending again, with its attempts reset: a relay publishes it at its next
     * look, and it holds back the rows of its key that are still pending behind it. Rows of its key
     * published meanwhile are not published again, so it arrives after them. One statement on the
     * calling thread; returns false when the row is not (or no longer) failed.
     *
     * @param rowId the row's {@link FailedRow#rowId()}
     * @return true when the row was failed and is pending again
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public boolean retry(long rowId) {
        return rows.retry(rowId);
    }

    /**
     * Deletes a failed row. One statement on the calling thread; returns false when the row is not
     * (or no longer) failed.
     *
     * @param rowId the row's {@link FailedRow#rowId()}
     * @return true when the row was failed and is deleted
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public boolean discard(long rowId) {
        return rows.discard(rowId);
    }

    /**
     * The table this outbox uses.
     *
     * @return the table name as configured (possibly schema-qualified)
     */
    public String table() {
        return table;
    }

    DataSource dataSource() {
        return dataSource;
    }

    MessageBus bus() {
        return bus;
    }

    Dialect dialect() {
        return dialect.get();
    }

    String channel() {
        return channel;
    }

    void attach(OutboxRelay relay) {
        relays.add(relay);
    }

    void detach(OutboxRelay relay) {
        relays.remove(relay);
    }

    private String write(Connection c, Object message, String key, Map<String, String> headers) throws SQLException {
        Objects.requireNonNull(c, "connection must not be null: pass the one of your transaction");
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH || !StoredId.isPlainText(key))) {
            throw new dev.courier.PublishException("aggregate key must be 1 to " + MAX_KEY_LENGTH + " characters without NUL"
                    + " or unpaired surrogates, or null for no order, was " + StoredId.show(key));
        }
        // through the bus's outbound chain: what its interceptors add (a traceparent) is stored with the row
        PreparedMessage p;
        try {
            p = bus.prepareForOutbox(message, headers, prepared -> {
                try {
                    insert(c, key, prepared);
                } catch (SQLException e) {
                    throw new Sql(e);
                }
                return prepared;
            });
        } catch (Sql e) {
            throw e.getCause();
        }
        String id = p.id();
        if (log.isTraceEnabled()) {
            log.trace("outbox {}: wrote {} {} (key {})", table, p.type(), id, key);
        }
        return id;
    }

    /** Writes one prepared message as a row (and notifies), in the caller's connection. */
    private void insert(Connection c, String key, PreparedMessage p) throws SQLException {
        String id = p.id();
        if (!StoredId.isPlainText(id)) {
            throw new dev.courier.PublishException("message id " + StoredId.show(id) + " has NUL or unpaired surrogates,"
                    + " which the outbox's message_id column cannot store");
        }
        OutboxLimits.COURIER.check(() -> p.type() + " " + StoredId.show(id), p.headers(), p.body());
        Dialect d = dialect.get();
        try (PreparedStatement ps = c.prepareStatement(insert.get())) {
            if (key == null) {
                ps.setNull(1, Types.VARCHAR);
            } else {
                ps.setString(1, key);
            }
            ps.setString(2, id);
            ps.setString(3, p.type());
            ps.setString(4, p.to().kind().name());
            ps.setString(5, p.to().name());
            if (p.to().group() == null) {
                ps.setNull(6, Types.VARCHAR);
            } else {
                ps.setString(6, p.to().group());
            }
            ps.setString(7, HeadersJson.write(p.headers()));
            ps.setBytes(8, p.body());
            ps.executeUpdate();
        }
        if (!relays.isEmpty()) {
            for (OutboxRelay r : relays) {
                r.written(); // it looks again within its active poll interval, soon after our commit
            }
        } else if (notify && d.notifies()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
                ps.setString(1, channel);
                ps.execute();
            }
        }
    }

    /** Carries an SQLException through the outbound chain, which only passes unchecked exceptions. */
    private static final class Sql extends RuntimeException {
        Sql(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }

    /**
     * Configures a {@link JdbcOutbox}. {@link #build()} checks every setting at once and names each
     * invalid one in a {@link ConfigurationException}.
     */
    public static final class Builder {
        private final DataSource dataSource;
        private final MessageBus bus;
        private String table = DEFAULT_TABLE;
        private boolean notify = true;

        private Builder(DataSource dataSource, MessageBus bus) {
            this.dataSource = dataSource;
            this.bus = bus;
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
         * On PostgreSQL, whether a write wakes the relays of other processes with NOTIFY (default
         * true). Only writes made while no relay of this outbox object runs in this process notify:
         * a running one is woken directly, without NOTIFY's commit lock.
         *
         * @param notify false to leave relays to their polling interval
         * @return this builder
         */
        public Builder notifyRelays(boolean notify) {
            this.notify = notify;
            return this;
        }

        /**
         * Checks every setting and builds the outbox.
         *
         * @return the outbox; it connects to the database only when first used
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public JdbcOutbox build() {
            List<String> problems = new ArrayList<>();
            if (dataSource == null) {
                problems.add("outbox dataSource must not be null");
            }
            if (bus == null) {
                problems.add("outbox bus must not be null (it names, encodes and publishes the messages)");
            }
            Jdbc.checkTable(problems, "outbox table", table);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new JdbcOutbox(this);
        }
    }
}
