package dev.courier;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One message on its way out as an {@link Interceptor.Outbound} sees it: a publish, send, request
 * or reply this bus makes, with its headers still open to change, and the rest of the chain to
 * {@link #proceed()} into.
 *
 * <p>Runs on the thread that publishes: the caller of {@link MessageBus#publish}/{@code send}/{@code
 * request}, or the handler thread for what a handler publishes, sends or replies (such a message is
 * held back until the handler succeeds, and the chain runs when it is made, inside the handler).
 * Dead letters, replays and redeliveries are not messages this bus makes and do not pass here.
 */
public interface OutboundChain {

    /**
     * The message's CloudEvents attributes as Courier made them: id, source, type, time,
     * correlation, causation and W3C trace context ({@code traceparent}, a new parent id for this
     * message). Its {@code headers()} show changes made through {@link #headers()}.
     *
     * @return the outgoing message's envelope
     */
    Envelope envelope();

    /**
     * The message's headers, mutable: add your own or replace {@code traceparent}/{@code tracestate}.
     * Courier's and CloudEvents' own names ({@link dev.courier.spi.Headers#RESERVED}) and invalid
     * names are refused with {@link PublishException}. The size limits are checked after the
     * last interceptor.
     *
     * @return the outgoing headers, open to change
     */
    Map<String, String> headers();

    /**
     * The message being handled when this one was made.
     *
     * @return the handler's message, or null for a root message
     */
    Envelope parent();

    /**
     * What the outgoing message is.
     *
     * @return event, command, request or reply
     */
    MessageKind kind();

    /**
     * Where it goes.
     *
     * @return the message name, or for a reply the requester's reply address
     */
    String destination();

    /**
     * The sending service.
     *
     * @return the service (consumer group) of this bus
     */
    String service();

    /**
     * The transport's protocol.
     *
     * @return {@code memory}, {@code amqp}, {@code mqtt} or {@code ws}
     */
    String protocol();

    /**
     * Whether the message goes into the transactional outbox ({@code courier-jdbc}) instead of
     * straight to the broker: then {@link #proceed()} writes it in the caller's transaction and its
     * future completes once it is written (the caller commits later; the relay sends it afterwards,
     * without passing this chain again, and its confirm is not reported here).
     *
     * @return true for a message written to the outbox
     */
    boolean outbox();

    /**
     * Hands the message on (the next interceptor, finally Courier: check the limits, then send, or
     * hold it back inside a handler) and returns the future of its confirm: it completes when the
     * broker has the message — for a held message, after the handler succeeded — and fails when it
     * could not be sent or the handler attempt that made it failed. Throws
     * {@link LimitExceededException} (nothing sent), {@link PublishException} when called twice, and
     * what a later interceptor throws; the bus turns what it throws into the publish's failed future.
     * Call it at most once; not calling it drops the message, and the future you return instead is
     * what the publisher gets.
     *
     * @return the future of the message's confirm
     */
    CompletableFuture<Void> proceed();
}
