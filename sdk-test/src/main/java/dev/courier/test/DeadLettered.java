package dev.courier.test;

import dev.courier.Envelope;

/**
 * A message went to a service's dead letters.
 *
 * @param service   the service
 * @param envelope  the message's attributes, or null when it could not be decoded
 * @param messageId the message id
 * @param error     why: what the handler threw last, or the decode or limit error
 */
public record DeadLettered(String service, Envelope envelope, String messageId, Throwable error) {

    /** @return the message name, or null when the message could not be decoded */
    public String type() {
        return envelope == null ? null : envelope.type();
    }
}
