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

    /**
     * The dead letter with this message id, if there is one. A transport with an index overrides this;
     * the default browses up to {@link #LOOKUP_SCAN_LIMIT} dead letters. Blocks the caller.
     *
     * @param messageId the message id ({@code id} header)
     * @return the dead letter, or empty
     */
    default java.util.Optional<RawMessage> get(String messageId) {
        for (RawMessage m : browse(LOOKUP_SCAN_LIMIT)) {
            if (messageId.equals(m.headers().get(Headers.ID))) {
                return java.util.Optional.of(m);
            }
        }
        return java.util.Optional.empty();
    }

    /** How many dead letters the default {@link #get} looks through: 100,000. */
    int LOOKUP_SCAN_LIMIT = 100_000;
}
