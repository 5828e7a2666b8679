package dev.courier;

/** What a message is to the bus that handles or sends it, as interceptors see it. */
public enum MessageKind {
    /** An event: every subscribing service gets it once. */
    EVENT,
    /** A command sent without waiting for a reply. */
    COMMAND,
    /** A command sent with {@code request(...)}: its handler replies. */
    REQUEST,
    /** A reply to a request. */
    REPLY
}
