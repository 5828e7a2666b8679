package dev.courier;

/** A payload could not be encoded or decoded. */
public class CodecException extends CourierException {
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
