package dev.courier;

/** No reply arrived within the request's timeout. */
public class RequestTimeoutException extends RequestException {
    /**
     * @param message names the request and the timeout
     */
    public RequestTimeoutException(String message) {
        super(message);
    }
}
