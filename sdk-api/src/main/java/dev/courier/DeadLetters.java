package dev.courier;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The dead letters of this bus's service. Replay sends a dead letter back to this service only
 * (never through an event's fan-out, which would reach every service again), keeping its id.
 */
public interface DeadLetters {

    /**
     * Reads dead letters without removing them, on the calling thread.
     *
     * @param max at most this many
     * @return up to {@code max} dead letters, oldest first
     * @throws CourierException when {@code max} is below 1 or the transport could not list them
     */
    List<DeadLetter> list(int max);

    /**
     * Sends the dead letter with this id back to this service's handler, then removes it. The
     * future fails with a {@link CourierException} if no such dead letter exists.
     *
     * <p>Thread: the dead letter is looked up on the calling thread (a bounded broker round trip);
     * the future then completes on the transport thread that completes the replayed message's
     * publish, after the dead letter was removed there — or is already failed when returned (no such
     * dead letter). It fails with a {@link PublishException} when the replay could not be published
     * (the dead letter is then kept). Never throws for a runtime condition: a transport that cannot
     * browse its channel fails the future with a {@link CourierException} too.
     *
     * @param messageId the dead letter's message id (kept on replay)
     * @return completes when the transport has the replayed message and the dead letter is removed
     * @throws NullPointerException when {@code messageId} is null
     */
    CompletableFuture<Void> replay(String messageId);

    /**
     * Removes the dead letter with this id for good.
     *
     * @param messageId the dead letter's message id
     * @return false if there is none
     * @throws CourierException when the transport could not remove it
     */
    boolean discard(String messageId);
}
