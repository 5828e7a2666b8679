package dev.courier.jdbc;

import dev.courier.NonRetryableException;

/**
 * The inbox table cannot keep this message id for this service, so the message can never be
 * claimed and retrying cannot help: the database refused the value itself (SQLState class 22, a
 * data exception), for example because the table was created with a {@code message_id} column
 * narrower than the shipped script's 255 characters. {@link JdbcInbox} stores every id the bus can
 * carry (over-long and unusual ids in a hashed form), so with the shipped schema this is not thrown.
 * The message names the service, the id (shortened, control characters escaped) and the database's
 * reason.
 */
public final class UnstorableIdException extends NonRetryableException {
    private final String service;
    private final String messageId;

    UnstorableIdException(String message, String service, String messageId, Throwable cause) {
        super(message, cause);
        this.service = service;
        this.messageId = messageId;
    }

    /** The service whose inbox refused the id. */
    public String service() {
        return service;
    }

    /** The message id as it arrived. */
    public String messageId() {
        return messageId;
    }
}
