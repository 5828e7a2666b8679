/**
 * Durable inbox and transactional outbox over plain JDBC, for PostgreSQL and MariaDB.
 *
 * <ul>
 *   <li>{@link dev.courier.jdbc.JdbcInbox}: a {@link dev.courier.spi.DeduplicationStore} in one
 *       table, shared by a service's instances and kept across restarts; with
 *       {@link dev.courier.jdbc.JdbcInbox#transactional} a handler's database work, its "done" mark
 *       and its outbox rows commit in one transaction.</li>
 *   <li>{@link dev.courier.jdbc.JdbcOutbox}: writes messages into an outbox table inside the
 *       caller's transaction.</li>
 *   <li>{@link dev.courier.jdbc.OutboxRelay}: publishes committed outbox rows through the bus,
 *       with confirms, per-key order and row locking between relays.</li>
 * </ul>
 *
 * Everything works against the application's own {@link javax.sql.DataSource}; the module brings
 * no driver and no pool. Table scripts: {@code dev/courier/jdbc/*.sql} in this jar. See
 * docs/jdbc.md for wiring, guarantees, purging and sizing.
 */
package dev.courier.jdbc;
