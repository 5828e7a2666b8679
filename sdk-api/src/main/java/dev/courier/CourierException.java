package dev.courier;

/** The root of every exception Courier throws or completes a future with; broker errors are causes. */
public class CourierException extends RuntimeException {
    public CourierException(String message) {
        super(message);
    }

    public CourierException(String message, Throwable cause) {
        super(message, cause);
    }
}
