package dev.courier;

import java.time.Duration;

/**
 * Hooks for what happens to messages, with no-op defaults so new methods never break an
 * implementation. Register any number with {@link MessageBus.Builder#listener(BusListener)}; they
 * are called in registration order.
 *
 * <p>A listener is installed as a built-in link of the bus's {@linkplain Interceptor interceptor
 * chains}: {@link #handled} and the immediate {@link #retried} come from the inbound link around each
 * handler attempt (on the handler thread, after the attempt); the other calls come from the pipeline
 * steps that have no handler attempt around them — {@link #published} on the confirm (a transport or
 * Courier thread), {@link #duplicate} after the deduplication check, the delayed {@link #retried}
 * when the redelivery is scheduled, {@link #deadLettered} after the dead letter's confirm, and
 * {@link #replied} when a request's future completes. Keep them fast; exceptions are logged and
 * ignored.
 *
 * <p>The methods with a {@code service} parameter call the older ones by default; Courier calls the
 * newer ones, so override whichever you need.
 */
public interface BusListener {

    /**
     * A message was confirmed by the transport (dead letters included).
     *
     * @param messageType the message name
     * @param messageId   the message id
     */
    default void published(String messageType, String messageId) {
    }

    /**
     * A handler succeeded.
     *
     * @param envelope    the handled message's attributes
     * @param handlerTime the time of the successful attempt only
     */
    default void handled(Envelope envelope, Duration handlerTime) {
    }

    /**
     * A delivery of an id already handled was skipped.
     *
     * @param envelope the skipped message's attributes
     */
    default void duplicate(Envelope envelope) {
    }

    /**
     * A delivery of an id {@code service} already handled was skipped. Calls {@link #duplicate(Envelope)}.
     *
     * @param service  the service that skipped it
     * @param envelope the skipped message's attributes
     */
    default void duplicate(String service, Envelope envelope) {
        duplicate(envelope);
    }

    /**
     * An attempt failed and will be tried again.
     *
     * @param envelope the message's attributes
     * @param attempt  the attempt that failed (1 for the first)
     * @param delayed  true when the next try is a delayed redelivery, false for an immediate attempt
     * @param error    what the handler threw
     */
    default void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
    }

    /**
     * A message went to the dead letter.
     *
     * @param envelope  the message's attributes, or null when it could not be decoded
     * @param messageId the message id
     * @param error     why it was dead-lettered
     */
    default void deadLettered(Envelope envelope, String messageId, Throwable error) {
    }

    /**
     * A message of {@code service} went to the dead letter; {@code envelope} is null when it could not
     * be decoded ({@code messageType} is then its type header, or null). Calls
     * {@link #deadLettered(Envelope, String, Throwable)}.
     *
     * @param service     the service whose dead letter it is
     * @param envelope    the message's attributes, or null when it could not be decoded
     * @param messageId   the message id (null when it had none)
     * @param messageType its type header (may be null)
     * @param error       why it was dead-lettered
     */
    default void deadLettered(String service, Envelope envelope, String messageId, String messageType, Throwable error) {
        deadLettered(envelope, messageId, error);
    }

    /**
     * A request of {@code service} ended, {@code waited} after it was made: with its reply
     * ({@code error} null), or with the {@link RequestTimeoutException}, {@link RemoteHandlerException},
     * {@link ReplyLostException} or {@link PublishException} its future failed with.
     *
     * @param service     the requesting service
     * @param requestType the request's message name
     * @param waited      from the request to its end
     * @param error       null for a reply, else the failure
     */
    default void replied(String service, String requestType, Duration waited, Throwable error) {
    }

    /** A no-op listener. */
    BusListener NONE = new BusListener() {
    };
}
