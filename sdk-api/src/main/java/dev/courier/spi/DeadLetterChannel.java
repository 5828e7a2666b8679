package dev.courier.spi;

import java.util.List;

/** The durable store of one service's dead letters, as the transport keeps them. */
public interface DeadLetterChannel {

    /**
     * Up to {@code max} dead letters, oldest first, without removing them. Blocks the calling thread
     * for the broker round trips it needs (bounded by the transport's timeouts).
     *
     * @param max the most dead letters to return, at least 1
     * @return the dead letters with their diagnostic headers; never null, empty when there are none
     */
    List<RawMessage> browse(int max);

    /**
     * Removes the dead letter whose CloudEvents {@code id} is {@code messageId}. Blocks the calling
     * thread like {@link #browse}.
     *
     * @param messageId the dead letter's CloudEvents {@code id}; never null
     * @return true when it was there and is now removed, false when absent
     */
    boolean remove(String messageId);
}
