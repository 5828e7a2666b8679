package dev.courier;

/**
 * What the pipeline does after one handler attempt, as {@link InboundChain#outcomeOf(Throwable)}
 * tells an interceptor. Decided by the bus's {@link RetryPolicy}: the attempt's number within the
 * delivery, the delayed redeliveries already made, and whether the failure is retryable.
 */
public enum AttemptOutcome {
    /** The handler returned normally; what it held back is sent, the message acked. */
    SUCCESS,
    /** The attempt failed and the handler runs again soon, in process (an immediate retry). */
    RETRY,
    /** The attempt failed, immediate attempts are used up: the message goes back to the broker for a delayed redelivery. */
    REDELIVERY,
    /** The attempt failed for good: the message is dead-lettered. */
    DEAD_LETTER,
    /** The bus is closing (or a request's caller gave up): the message is given back or skipped, not judged. */
    GIVEN_BACK
}
