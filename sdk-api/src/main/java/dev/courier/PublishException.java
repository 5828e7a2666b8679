package dev.courier;

/** A message was not taken by the broker: refused, unroutable, or the transport is closed. */
public class PublishException extends CourierException {
    /**
     * @param message what happened
     */
    public PublishException(String message) {
        super(message);
    }

    /**
     * @param message what happened
     * @param cause   the underlying error (a broker or codec error), kept as the cause
     */
    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
