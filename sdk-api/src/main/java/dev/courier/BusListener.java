package dev.courier;

import java.time.Duration;

/**
 * Hooks for metrics and tracing, with no-op defaults so new methods never break an implementation.
 * Called on Courier's threads: keep them fast and never throw (exceptions are logged and ignored).
 */
public interface BusListener {

    /** A message was confirmed by the transport. */
    default void published(String messageType, String messageId) {
    }

    /** A handler succeeded; {@code handlerTime} covers the successful attempt only. */
    default void handled(Envelope envelope, Duration handlerTime) {
    }

    /** A delivery of an id already handled was skipped. */
    default void duplicate(Envelope envelope) {
    }

    /** An attempt failed and will be tried again ({@code delayed}: by a delayed redelivery). */
    default void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
    }

    /** A message went to the dead letter; {@code envelope} is null when it could not be decoded. */
    default void deadLettered(Envelope envelope, String messageId, Throwable error) {
    }

    /** A no-op listener. */
    BusListener NONE = new BusListener() {
    };
}
