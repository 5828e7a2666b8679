package dev.courier;

/** No reply arrived within the request's timeout. */
public class RequestTimeoutException extends CourierException {
    public RequestTimeoutException(String message) {
        super(message);
    }
}
