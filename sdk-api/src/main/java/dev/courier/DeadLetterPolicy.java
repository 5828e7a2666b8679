package dev.courier;

/**
 * What happens when a message is dead-lettered: how much of the stack trace travels in its
 * headers (headers must stay well under broker frame limits) and whether the caller of a request
 * is told at once with a {@link RemoteHandlerException}.
 *
 * @param maxStackTraceBytes the stack trace header is cut to this many bytes (256 to 16384)
 * @param notifyRequester    send an error reply to a waiting requester
 */
public record DeadLetterPolicy(int maxStackTraceBytes, boolean notifyRequester) {

    /** The default cut of the {@code dlstacktrace} header, in bytes. */
    public static final int DEFAULT_MAX_STACK_TRACE_BYTES = 4096;

    /**
     * Checks the bounds.
     *
     * @param maxStackTraceBytes the stack trace header is cut to this many bytes (256 to 16384)
     * @param notifyRequester    send an error reply to a waiting requester
     * @throws ConfigurationException when a setting is out of bounds
     */
    public DeadLetterPolicy {
        if (maxStackTraceBytes < 256 || maxStackTraceBytes > 16384) {
            throw new ConfigurationException(
                    "deadLetterPolicy.maxStackTraceBytes must be between 256 and 16384, was " + maxStackTraceBytes);
        }
    }

    /** @return 4096 bytes of stack trace, and a waiting requester told at once */
    public static DeadLetterPolicy ofDefaults() {
        return new DeadLetterPolicy(DEFAULT_MAX_STACK_TRACE_BYTES, true);
    }
}
