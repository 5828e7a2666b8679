package dev.courier.spi;

/**
 * A live subscription of one address for one group.
 *
 * <p>{@link #close()} (the conformance kit's {@code SubscriptionCases} check each point):
 * <ul>
 *   <li>Stops deliveries: once it has returned, the subscription takes no more messages from the
 *       group. (A delivery it was already handing over may still reach the callback, which settles
 *       it as usual.)</li>
 *   <li>Deliveries outstanding at that moment remain the subscriber's to settle: ack, reject and
 *       redeliverLater still work (the bus acks handlers that finish while it closes). Those still
 *       unsettled when the transport closes are given back.</li>
 *   <li>The group's messages stay with the group: its other members get them, and with no member
 *       left the group keeps them for a later one, as it does while a service is down. Nothing is
 *       parked on the closed subscription, and nothing held for it stalls the transport's other
 *       subscriptions.</li>
 *   <li>The same address and group may be subscribed again on the same transport.</li>
 *   <li>It is idempotent, safe to call from several threads and while the transport closes, and
 *       bounded: it returns within seconds whatever the broker does (every broker round trip in it
 *       has a timeout).</li>
 * </ul>
 */
public interface TransportSubscription extends AutoCloseable {

    /**
     * True while deliveries can arrive (false after close or while the broker is unreachable).
     *
     * @return whether this subscription can receive deliveries now
     */
    boolean isActive();

    /** Stops deliveries; see the class comment. */
    @Override
    void close();

    /**
     * Closes this subscription like {@link #close()}, then deletes its group's queue if no other member
     * of the group consumes from it any more — with whatever messages it still holds. For groups that
     * exist only as long as their subscriber: the WebSocket hub subscribes with one group per hub
     * instance for the events its browser clients follow, and a route nobody follows any more (or a hub
     * that stops) would otherwise leave a durable queue behind that collects every such event forever.
     * Never use it for a service's group: its queue keeps messages while the service is down.
     *
     * <p>The default just calls {@link #close()}: a transport that cannot (or need not) delete queues
     * keeps them, as before. The in-memory transport drops the queue; AMQP deletes it with
     * {@code queue.delete if-unused} (a queue another consumer still reads is kept, and so is one the
     * broker refuses to delete, logged at debug). Same bounds as {@link #close()}: it returns within
     * seconds whatever the broker does, and does not throw for a queue it could not delete.
     */
    default void closeAndDelete() {
        close();
    }
}
