package dev.courier;

/**
 * The publish timeout passed before the broker took the message: no room (back-pressure) or no
 * confirm. The message may or may not have arrived; publishing it again is safe because receivers
 * deduplicate by id.
 */
public class PublishTimeoutException extends PublishException {
    /**
     * @param message what happened
     */
    public PublishTimeoutException(String message) {
        super(message);
    }
}
