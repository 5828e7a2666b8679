package dev.courier;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a handler knows about the message it handles, and how it sends more. Messages published
 * or sent here inherit the correlation id and get this message's id as their causation id; they
 * are held back and go out only after the handler returns normally, with ids derived from this
 * service, this message's id and their position, so a handler that runs again produces the same ids
 * (and receivers deduplicate them) while two services handling one message never share an id.
 * {@link #request} is the exception: it goes out at once, with a fresh id on every attempt.
 *
 * <p>Errors: {@code publish}, {@code send} and {@code reply} are synchronous and throw when the
 * message cannot be made ({@link LimitExceededException}, {@link CodecException},
 * {@link ConfigurationException} for an unnamed type, {@link PublishException} for an invalid header
 * or an outbound interceptor's refusal), which fails the handler attempt: a held message is all or
 * nothing with its handler. {@link #request} never throws but for a null argument; it fails its future.
 */
public interface MessageContext {

    /** @return the CloudEvents attributes and headers of the handled message */
    Envelope envelope();

    /** @return the conversation's id, which every message sent from this handler carries too */
    default String correlationId() {
        return envelope().correlationId();
    }

    /** @return the handled message's id */
    default String messageId() {
        return envelope().id();
    }

    /** @return user and CloudEvents headers of the handled message */
    default Map<String, String> headers() {
        return envelope().headers();
    }

    /** @return the service (consumer group) whose handler is running */
    String service();

    /** @return 1 on the first attempt; counts in-process retries and delayed redeliveries together */
    int attempt();

    /**
     * Publishes an event once this handler succeeds.
     *
     * @param event the event; its type must be declared with {@code @MessageName}
     * @throws CourierException when the event cannot be made (see the class comment); the attempt fails
     */
    void publish(Event event);

    /**
     * Publishes an event with extra headers once this handler succeeds.
     *
     * @param event   the event
     * @param headers extra headers (CloudEvents extension names: lower-case a–z and 0–9, at most 20 characters)
     * @throws CourierException when the event cannot be made (see the class comment); the attempt fails
     */
    void publish(Event event, Map<String, String> headers);

    /**
     * Sends a command once this handler succeeds.
     *
     * @param command the command; one handler across all instances of the handling service gets it
     * @throws CourierException when the command cannot be made (see the class comment); the attempt fails
     */
    void send(Command command);

    /**
     * Replies to the request being handled, once this handler succeeds.
     *
     * @param reply the reply payload (any JSON-serialisable object)
     * @throws CourierException when the handled message is not a request (see {@link #isRequest()})
     */
    void reply(Object reply);

    /** @return true when the handled message is a request that expects a reply */
    boolean isRequest();

    /**
     * Sends a request now (not held back) and returns the reply's future, completed on the bus's
     * reply thread (never a handler thread), so it is safe to join it inside a handler. The request
     * gets a fresh id on every attempt: when this handler fails and runs again, it asks again and the
     * responder handles the request again, so make the responder safe to repeat (a query, or an
     * operation keyed by its own business id).
     *
     * @param command   the request
     * @param replyType the type the reply is decoded to
     * @param timeout   how long to wait for the reply
     * @param <R>       the reply type
     * @return the reply; fails with a {@link RequestException} ({@link RequestTimeoutException},
     *         {@link RemoteHandlerException}, {@link ReplyLostException}), with {@link PublishException}
     *         when it could not be sent, or like {@link MessageBus#request} when it cannot be made
     * @throws NullPointerException when an argument is null
     */
    <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout);
}
