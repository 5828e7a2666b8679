package dev.courier;

/**
 * Thrown by a handler to say that retrying cannot help (bad data, a rule violated): the message
 * goes straight to the dead letter. Other exceptions can be made non-retryable with
 * {@link RetryPolicy.Builder#noRetryOn}.
 *
 * <p>This is your signal to Courier, not an error of Courier's: it extends {@link RuntimeException}
 * directly, outside {@link CourierException}, so a {@code catch (CourierException e)} around a publish
 * or a request never catches it.
 */
public class NonRetryableException extends RuntimeException {
    /**
     * @param message why retrying cannot help; it becomes the dead letter's {@code dlerrormessage}
     */
    public NonRetryableException(String message) {
        super(message);
    }

    /**
     * @param message why retrying cannot help; it becomes the dead letter's {@code dlerrormessage}
     * @param cause   the error behind it
     */
    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
