package dev.courier;

/**
 * A message breaks a size limit (bytes, see {@link dev.courier.spi.Limits}): thrown where the message
 * is made (publish, send, request, reply, a message held by a handler), and the reason an incoming
 * message was dead-lettered. Never retried: the same message breaks the same limit again.
 */
public class LimitExceededException extends CourierException {
    /** The limit's name. */
    private final String limit;
    /** The size of what broke it, in bytes. */
    private final long actualBytes;
    /** The limit, in bytes. */
    private final long maxBytes;

    /**
     * @param what        what broke the limit, e.g. {@code header 'id' of v1.order.placed}
     * @param limit       the limit's name, e.g. {@code maxAttributeBytes}
     * @param actualBytes its size in UTF-8 bytes
     * @param maxBytes    the limit
     */
    public LimitExceededException(String what, String limit, long actualBytes, long maxBytes) {
        super(what + " is " + actualBytes + " bytes; the limit " + limit + " is " + maxBytes + " bytes");
        this.limit = limit;
        this.actualBytes = actualBytes;
        this.maxBytes = maxBytes;
    }

    /** @return the name of the limit, as in {@link dev.courier.spi.Limits}: {@code maxAttributeBytes}, {@code maxBodyBytes}, … */
    public String limit() {
        return limit;
    }

    /** @return the size of what broke the limit, in bytes (UTF-8 for text) */
    public long actualBytes() {
        return actualBytes;
    }

    /** @return the limit, in bytes */
    public long maxBytes() {
        return maxBytes;
    }
}
