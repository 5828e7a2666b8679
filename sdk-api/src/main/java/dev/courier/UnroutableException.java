package dev.courier;

/**
 * The broker took the message but nobody could receive it: a command (or a request) sent to a name
 * no service handles, detected by transports with {@link dev.courier.spi.Capability#UNROUTABLE_DETECTED}.
 * Events are never unroutable: publishing an event nobody listens to is normal. Sending again only
 * helps once a handler of the command has started.
 */
public class UnroutableException extends PublishException {
    /**
     * @param message what was sent, where, and that nobody consumes it
     */
    public UnroutableException(String message) {
        super(message);
    }
}
