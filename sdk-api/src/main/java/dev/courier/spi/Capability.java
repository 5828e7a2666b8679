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
    UNROUTABLE_DETECTED,
    /**
     * A delivery stays valid when the transport reconnects after a cut connection or a broker restart: the
     * subscription keeps what it was given (Kafka: a group member keeps its partitions while it rejoins
     * within the group's session), so settling the delivery afterwards takes effect and the message is not
     * delivered again. Without it such a delivery is stale: settling it fails with
     * {@link StaleDeliveryException} and the broker delivers the message again. Either way nothing is lost.
     */
    DELIVERIES_OUTLIVE_RECONNECTS
}
