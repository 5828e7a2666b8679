package dev.courier.test;

import dev.courier.Envelope;

/**
 * An attempt failed and the message will be tried again.
 *
 * @param service  the service whose handler failed
 * @param envelope the message's attributes
 * @param attempt  the attempt that failed (1 for the first)
 * @param delayed  true when the next try is a delayed redelivery, false for an immediate attempt
 * @param error    what the handler threw
 */
public record Retried(String service, Envelope envelope, int attempt, boolean delayed, Throwable error) {
}
