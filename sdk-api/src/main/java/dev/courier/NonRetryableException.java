package dev.courier;

/**
 * Thrown by a handler to say that retrying cannot help (bad data, a rule violated): the message
 * goes straight to the dead letter. Other exceptions can be made non-retryable with
 * {@link RetryPolicy.Builder#noRetryOn}.
 */
public class NonRetryableException extends CourierException {
    public NonRetryableException(String message) {
        super(message);
    }

    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
