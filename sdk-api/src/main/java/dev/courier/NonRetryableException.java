package dev.courier;

/**
 * Thrown by a handler to say that retrying cannot help (bad data, a rule violated): the message
 * goes straight to the dead letter. Other exceptions can be made non-retryable with
 * {@link RetryPolicy.Builder#noRetryOn}.
 */
public class NonRetryableException extends CourierException {
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
