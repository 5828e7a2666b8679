package dev.courier;

/**
 * The transport could not reach its broker: at start, within the start timeout
 * ({@link MessageBus.Builder#startTimeout}), every attempt failed. The message names the broker
 * (never its credentials), how many attempts were made and the last failure, kept as the cause.
 * After a successful start a lost connection never surfaces as this exception: the transport
 * reconnects for as long as it is open, and publishes wait or time out
 * ({@link PublishTimeoutException}).
 */
public class TransportConnectException extends CourierException {
    /**
     * @param message what happened, naming the broker and the attempts
     * @param cause   the last connect failure
     */
    public TransportConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
