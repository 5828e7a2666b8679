package dev.courier.jdbc;

import dev.courier.Command;
import dev.courier.ConfigurationException;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.internal.BusCore;
import dev.courier.spi.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * to be the commit order. On PostgreSQL each write also notifies waiting relays (LISTEN/NOTIFY),
 * delivered at commit. Thread safe.
 */
public final class JdbcOutbox {
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

    private JdbcOutbox(Builder b) {
        this.dataSource = b.dataSource;
        this.bus = b.bus;
        this.table = b.table;
        this.notify = b.notify;
        this.channel = table.replace('.', '_').toLowerCase(Locale.ROOT);
        this.dialect = new Lazy<>(() -> Jdbc.autoCommit(dataSource, Dialect::of));
    }

    /** A builder for an outbox in the database of {@code dataSource}, publishing through {@code bus}. */
    public static Builder builder(DataSource dataSource, MessageBus bus) {
        return new Builder(dataSource, bus);
    }

    /** Creates the table and its indexes if they do not exist (the script {@code outbox-<database>.sql}). */
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

    /** Writes {@code event} into the outbox in the transaction of {@code connection}; returns its message id. */
    public String publish(Connection connection, Event event) throws SQLException {
        return write(connection, event, null, Map.of());
    }

    /** As {@link #publish(Connection, Event)}; messages with one {@code aggregateKey} keep their order. */
    public String publish(Connection connection, Event event, String aggregateKey) throws SQLException {
        return write(connection, event, aggregateKey, Map.of());
    }

    /** As {@link #publish(Connection, Event, String)} with extra headers (CloudEvents extension names). */
    public String publish(Connection connection, Event event, String aggregateKey, Map<String, String> headers)
            throws SQLException {
        return write(connection, event, aggregateKey, headers);
    }

    /** Writes {@code command} into the outbox in the transaction of {@code connection}; returns its message id. */
    public String send(Connection connection, Command command) throws SQLException {
        return write(connection, command, null, Map.of());
    }

    /** As {@link #send(Connection, Command)}; messages with one {@code aggregateKey} keep their order. */
    public String send(Connection connection, Command command, String aggregateKey) throws SQLException {
        return write(connection, command, aggregateKey, Map.of());
    }

    /** A relay builder for this outbox; {@code outbox.relay().start()} starts one with the defaults. */
    public OutboxRelay.Builder relay() {
        return OutboxRelay.builder(this);
    }

    /** Rows not yet published (for health checks and metrics). */
    public long pending() {
        try {
            return Jdbc.autoCommit(dataSource, c -> {
                try (Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE sent_at IS NULL")) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
        } catch (SQLException e) {
            throw Jdbc.failure("could not count the pending rows of outbox " + table, e);
        }
    }

    /** The table this outbox uses. */
    public String table() {
        return table;
    }

    DataSource dataSource() {
        return dataSource;
    }

    BusCore core() {
        return (BusCore) bus.internals();
    }

    Dialect dialect() {
        return dialect.get();
    }

    String channel() {
        return channel;
    }

    private String write(Connection c, Object message, String key, Map<String, String> headers) throws SQLException {
        if (c == null) {
            throw new IllegalArgumentException("connection must not be null: pass the one of your transaction");
        }
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH)) {
            throw new IllegalArgumentException("aggregate key must be 1 to " + MAX_KEY_LENGTH
                    + " characters, or null for no order, was " + key.length() + " characters");
        }
        BusCore.Prepared p = core().prepare(message, headers);
        Dialect d = dialect.get();
        String id = p.headers().get(Headers.ID);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (aggregate_key, message_id,"
                + " message_type, address_kind, address_name, address_group, headers, body, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, " + d.now() + ")")) {
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
        if (notify && d.notifies()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
                ps.setString(1, channel);
                ps.execute();
            }
        }
        if (log.isTraceEnabled()) {
            log.trace("outbox {}: wrote {} {} (key {})", table, p.type(), id, key);
        }
        return id;
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

        /** The table (default {@value #DEFAULT_TABLE}); may be schema-qualified. */
        public Builder table(String table) {
            this.table = table;
            return this;
        }

        /** On PostgreSQL, whether each write wakes waiting relays with NOTIFY (default true). */
        public Builder notifyRelays(boolean notify) {
            this.notify = notify;
            return this;
        }

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
