package dev.courier;

/** A payload could not be encoded or decoded. */
public class CodecException extends CourierException {
    /**
     * @param message what happened
     * @param cause   the underlying error (the codec's error), kept as the cause
     */
    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
