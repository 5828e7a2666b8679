package dev.courier;

/** The root of every exception Courier throws or completes a future with; broker errors are causes. */
public class CourierException extends RuntimeException {
    /**
     * @param message what happened
     */
    public CourierException(String message) {
        super(message);
    }

    /**
     * @param message what happened
     * @param cause   the underlying error (a broker or codec error), kept as the cause
     */
    public CourierException(String message, Throwable cause) {
        super(message, cause);
    }
}
