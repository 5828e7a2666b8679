package dev.courier;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The dead letters of this bus's service. Replay sends a dead letter back to this service only
 * (never through an event's fan-out, which would reach every service again), keeping its id.
 */
public interface DeadLetters {

    /** Up to {@code max} dead letters, oldest first, without removing them. */
    List<DeadLetter> list(int max);

    /**
     * Sends the dead letter with this id back to this service's handler, then removes it. The
     * future fails with a {@link CourierException} if no such dead letter exists.
     */
    CompletableFuture<Void> replay(String messageId);

    /** Removes the dead letter with this id for good; false if there is none. */
    boolean discard(String messageId);
}
