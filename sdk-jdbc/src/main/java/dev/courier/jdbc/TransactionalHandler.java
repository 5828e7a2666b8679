package dev.courier.jdbc;

import dev.courier.MessageContext;

import java.sql.Connection;

/**
 * A handler whose database work commits in one transaction with the inbox's "done" mark and with
 * the outbox rows it writes: wrap it with {@link JdbcInbox#transactional}. Do not commit, roll back
 * or close {@code connection}: Courier commits when this returns normally and rolls back when it
 * throws (and the bus then retries the message by its retry policy).
 *
 * <pre>{@code
 * .onEvent(OrderPlaced.class, inbox.transactional("billing", (event, ctx, connection) -> {
 *     try (PreparedStatement ps = connection.prepareStatement("INSERT INTO invoice ...")) { ... }
 *     outbox.publish(connection, new InvoiceIssued(...), event.orderId());
 * }))
 * }</pre>
 *
 * @param <T> the message type
 */
@FunctionalInterface
public interface TransactionalHandler<T> {

    /**
     * Handles {@code message} inside the transaction of {@code connection}.
     *
     * Runs on the bus's handler thread for the message.
     * @param message the decoded message
     * @param context the message's context (id, headers, reply/publish from the handler)
     * @param connection the transaction's connection; do not commit, roll back or close it
     * @throws Exception anything: the transaction is rolled back and the bus retries or dead-letters the message by its retry policy
     */
    void handle(T message, MessageContext context, Connection connection) throws Exception;
}
