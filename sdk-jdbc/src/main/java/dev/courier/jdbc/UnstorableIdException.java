package dev.courier.jdbc;

import dev.courier.CourierException;

/**
 * The inbox table cannot keep this message id for this service, so the message can never be
 * claimed and retrying cannot help: the database refused the value itself (SQLState class 22, a
 * data exception), for example because the table was created with a {@code message_id} column
 * narrower than the shipped script's 255 characters. {@link JdbcInbox} stores every id the bus can
 * carry (over-long and unusual ids in a hashed form), so with the shipped schema this is not thrown.
 * The message names the service, the id (shortened, control characters escaped) and the database's
 * reason.
 */
public final class UnstorableIdException extends CourierException {
    /**
     * The service whose inbox refused the id (serialized form).
     *
     */
    private final String service;
    /**
     * The message id as it arrived (serialized form).
     *
     */
    private final String messageId;

    UnstorableIdException(String message, String service, String messageId, Throwable cause) {
        super(message, cause);
        this.service = service;
        this.messageId = messageId;
    }

    /**
     * The service whose inbox refused the id.
     *
     * @return the service name
     */
    public String service() {
        return service;
    }

    /**
     * The message id as it arrived.
     *
     * @return the id, unshortened
     */
    public String messageId() {
        return messageId;
    }
}
