package dev.courier;

/**
 * Handles one message. Throwing means the attempt failed: the bus retries it by its
 * {@link RetryPolicy} and dead-letters it when attempts run out. Messages published through the
 * context go out only if the handler returns normally.
 *
 * @param <T> the message type
 */
@FunctionalInterface
public interface Handler<T> {
    /**
     * Handles one delivery, on a handler thread of the bus (its {@code handlerExecutor}).
     *
     * @param message the decoded message
     * @param context the message's envelope, and where to publish, send or reply from this handler
     * @throws Exception to fail this attempt (retried by the {@link RetryPolicy}; a
     *                   {@link NonRetryableException} goes straight to the dead letter)
     */
    void handle(T message, MessageContext context) throws Exception;
}
