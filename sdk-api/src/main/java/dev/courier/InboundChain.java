package dev.courier;

import java.util.Map;

/**
 * One handler attempt as an {@link Interceptor.Inbound} sees it: the message, and the rest of the
 * chain to {@link #proceed()} into (the next interceptor, finally the handler).
 *
 * <p>Runs on the handler thread (the bus's handler executor), synchronously, once per attempt: an
 * immediate retry or a redelivery is a new attempt with a new chain. Not thread safe; do not keep it
 * past {@code intercept}.
 */
public interface InboundChain {

    /**
     * The handled message's CloudEvents attributes and headers, as received.
     *
     * @return the envelope of the message being handled
     */
    Envelope envelope();

    /**
     * The handled message's headers (read only), the same as {@code envelope().headers()}.
     *
     * @return the headers by CloudEvents name
     */
    default Map<String, String> headers() {
        return envelope().headers();
    }

    /**
     * This attempt's number.
     *
     * @return 1 on the first attempt; counts in-process retries and delayed redeliveries together
     */
    int attempt();

    /**
     * The handling service.
     *
     * @return the service (consumer group) whose handler runs
     */
    String service();

    /**
     * What the handled message is.
     *
     * @return {@link MessageKind#EVENT}, {@link MessageKind#COMMAND} or {@link MessageKind#REQUEST}
     */
    MessageKind kind();

    /**
     * The transport's protocol.
     *
     * @return {@code memory}, {@code amqp}, {@code mqtt} or {@code ws}
     */
    String protocol();

    /**
     * Runs the rest of the chain, finally the handler, on this thread. Throws what the handler (or
     * a later interceptor) threw. Call it at most once; not calling it skips the handler, and the
     * attempt then counts as a success.
     *
     * @throws Exception what the handler or a later interceptor threw
     */
    void proceed() throws Exception;

    /**
     * What the pipeline will do when this attempt ends with {@code error}: {@link AttemptOutcome#SUCCESS}
     * for null, otherwise {@code RETRY}, {@code REDELIVERY}, {@code DEAD_LETTER} or {@code GIVEN_BACK},
     * by the retry policy. It is the outcome for this error; an outer interceptor that throws something
     * else instead changes it.
     *
     * @param error how the attempt ended, or null for a success
     * @return what the pipeline does next
     */
    AttemptOutcome outcomeOf(Throwable error);
}
