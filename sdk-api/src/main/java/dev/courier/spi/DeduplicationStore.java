package dev.courier.spi;

import java.time.Duration;

/**
 * Remembers which messages a service has handled, so a redelivered one has its effect once.
 * Keys are (service, message id). Three states: claimed (a handler is on it), done, and absent
 * (never seen, or released after a failure). Implementations must be safe when two instances
 * race for the same id: exactly one claim succeeds.
 */
public interface DeduplicationStore {

    /** The result of {@link #claim}. */
    enum Claim {
        /** The caller now owns the id and must call complete or release. */
        ACQUIRED,
        /** Already handled: acknowledge and skip. */
        DONE,
        /** Someone else is handling it now: come back later, never drop. */
        IN_PROGRESS
    }

    /**
     * Claims the id; a claim not completed or released within {@code lease} expires. Called on a
     * handler thread before the handler runs; it may block for the store's round trip.
     *
     * @param service   the consuming service; never null
     * @param messageId the message's CloudEvents {@code id}; never null
     * @param lease     how long the claim holds without {@link #complete} or {@link #release}
     * @return {@link Claim#ACQUIRED} when the caller now owns the id, {@link Claim#DONE} when it was
     *         handled before, {@link Claim#IN_PROGRESS} when another claim holds it
     */
    Claim claim(String service, String messageId, Duration lease);

    /**
     * Marks the id done; called only after the handler succeeded and its messages went out.
     *
     * @param service   the consuming service; never null
     * @param messageId the message's CloudEvents {@code id}; never null
     */
    void complete(String service, String messageId);

    /**
     * Forgets the claim so the message can be handled again (after a failure or a dead letter).
     *
     * @param service   the consuming service; never null
     * @param messageId the message's CloudEvents {@code id}; never null
     */
    void release(String service, String messageId);
}
