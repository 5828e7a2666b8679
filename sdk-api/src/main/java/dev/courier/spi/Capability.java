package dev.courier.spi;

/** Optional behaviours; the conformance kit skips a case, with a reason, when one is missing. */
public enum Capability {
    /** reject(true) makes the broker deliver the message again (MQTT has no requeue). */
    REQUEUE,
    /** Unsettled deliveries of a consumer that goes away are delivered to another instance at once. */
    TAKEOVER_ON_DISCONNECT,
    /** Messages of about 1 MiB are carried. */
    LARGE_MESSAGES,
    /** A command nobody consumes fails its publish (MQTT 3.1.1's PUBACK cannot say so). */
    UNROUTABLE_DETECTED
}
