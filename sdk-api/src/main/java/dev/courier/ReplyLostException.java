package dev.courier;

/**
 * A request's reply can no longer arrive: the transport lost this instance's reply address (for
 * example its connection dropped with an exclusive reply queue). The request may or may not have
 * been handled; send it again with the same id if the handler is idempotent.
 */
public class ReplyLostException extends RequestException {
    /**
     * @param message what happened
     */
    public ReplyLostException(String message) {
        super(message);
    }
}
