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
    void handle(T message, MessageContext context) throws Exception;
}
