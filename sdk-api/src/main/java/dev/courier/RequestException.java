package dev.courier;

/**
 * A request ({@link MessageBus#request}, {@link MessageContext#request}) got no usable reply: the
 * parent of {@link RequestTimeoutException} (no reply in time), {@link RemoteHandlerException} (the
 * remote handler failed and dead-lettered the request) and {@link ReplyLostException} (the reply can
 * no longer arrive). A request that could not be sent at all fails with a {@link PublishException}
 * instead: catch this type to handle "sent, but no answer".
 */
public class RequestException extends CourierException {
    /**
     * @param message names the request and what went wrong
     */
    public RequestException(String message) {
        super(message);
    }

    /**
     * @param message names the request and what went wrong
     * @param cause   the underlying error
     */
    public RequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
