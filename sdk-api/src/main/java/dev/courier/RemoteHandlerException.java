package dev.courier;

/** The handler of a request failed for good: the request was dead-lettered by the remote service. */
public class RemoteHandlerException extends CourierException {
    private final String remoteErrorType;

    public RemoteHandlerException(String message, String remoteErrorType) {
        super(message);
        this.remoteErrorType = remoteErrorType;
    }

    /** The class name of the exception the remote handler threw, as reported. */
    public String remoteErrorType() {
        return remoteErrorType;
    }
}
