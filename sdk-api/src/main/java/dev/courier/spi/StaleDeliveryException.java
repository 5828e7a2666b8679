package dev.courier.spi;

import dev.courier.CourierException;

/**
 * A settle ({@link Delivery#ack}, {@link Delivery#reject}, {@link DelayedRedelivery#redeliverLater}) of a
 * delivery whose connection is gone: the transport closed, or a reconnect replaced the connection
 * it came on. Nothing was sent; the broker has already taken the message back and delivers it
 * again, where deduplication absorbs the copy. The pipeline treats it as "settled elsewhere".
 */
public class StaleDeliveryException extends CourierException {
    /**
     * @param message what was attempted, on which address and message id, and why it is stale
     */
    public StaleDeliveryException(String message) {
        super(message);
    }
}
