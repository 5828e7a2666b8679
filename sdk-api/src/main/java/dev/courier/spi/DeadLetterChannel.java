package dev.courier.spi;

import java.util.List;

/** The durable store of one service's dead letters, as the transport keeps them. */
public interface DeadLetterChannel {

    /** Up to {@code max} dead letters, oldest first, without removing them. */
    List<RawMessage> browse(int max);

    /** Removes the dead letter whose CloudEvents {@code id} is {@code messageId}; false if absent. */
    boolean remove(String messageId);
}
