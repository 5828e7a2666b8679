package dev.courier;

import java.time.Duration;

/**
 * Hooks for metrics and tracing, with no-op defaults so new methods never break an implementation.
 * Called on Courier's threads: keep them fast and never throw (exceptions are logged and ignored).
 */
public interface BusListener {

    /**
     * A message was confirmed by the transport.
     *
     * @param messageType the message name
     * @param messageId   the message id
     */
    default void published(String messageType, String messageId) {
    }

    /**
     * A handler succeeded.
     *
     * @param envelope    the handled message's attributes
     * @param handlerTime the time of the successful attempt only
     */
    default void handled(Envelope envelope, Duration handlerTime) {
    }

    /**
     * A delivery of an id already handled was skipped.
     *
     * @param envelope the skipped message's attributes
     */
    default void duplicate(Envelope envelope) {
    }

    /**
     * An attempt failed and will be tried again.
     *
     * @param envelope the message's attributes
     * @param attempt  the attempt that failed (1 for the first)
     * @param delayed  true when the next try is a delayed redelivery, false for an immediate attempt
     * @param error    what the handler threw
     */
    default void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
    }

    /**
     * A message went to the dead letter.
     *
     * @param envelope  the message's attributes, or null when it could not be decoded
     * @param messageId the message id
     * @param error     why it was dead-lettered
     */
    default void deadLettered(Envelope envelope, String messageId, Throwable error) {
    }

    /** A no-op listener. */
    BusListener NONE = new BusListener() {
    };
}
