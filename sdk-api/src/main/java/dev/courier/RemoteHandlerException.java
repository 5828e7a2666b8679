package dev.courier;

/** The handler of a request failed for good: the request was dead-lettered by the remote service. */
public class RemoteHandlerException extends RequestException {
    /** The class name of the remote handler's exception. */
    private final String remoteErrorType;

    /**
     * @param message         what the remote service reported
     * @param remoteErrorType the class name of the exception the remote handler threw
     */
    public RemoteHandlerException(String message, String remoteErrorType) {
        super(message);
        this.remoteErrorType = remoteErrorType;
    }

    /** @return the class name of the exception the remote handler threw, as reported */
    public String remoteErrorType() {
        return remoteErrorType;
    }
}
