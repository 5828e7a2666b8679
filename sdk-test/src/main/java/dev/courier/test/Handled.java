package dev.courier.test;

import dev.courier.Envelope;

import java.time.Duration;

/**
 * A handler succeeded.
 *
 * @param service     the service whose handler ran
 * @param envelope    the handled message's attributes and headers
 * @param handlerTime the time of the successful attempt
 */
public record Handled(String service, Envelope envelope, Duration handlerTime) {
}
