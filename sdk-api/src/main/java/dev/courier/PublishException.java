package dev.courier;

/** A message was not taken by the broker: refused, unroutable, or the transport is closed. */
public class PublishException extends CourierException {
    public PublishException(String message) {
        super(message);
    }

    public PublishException(String message, Throwable cause) {
        super(message, cause);
    }
}
