package dev.courier.spi;

/**
 * Receives deliveries from a subscription. It must return quickly: the bus hands work off. A publish
 * made inside it never blocks (see {@link Transport}); settling inside it is allowed.
 */
@FunctionalInterface
public interface DeliveryCallback {
    /**
     * Called once per delivery, on a thread the transport chooses: its delivery thread, or in memory
     * whichever thread made the message deliverable (the one that subscribed, published or settled
     * and so freed a prefetch slot). It must not block, and should not throw (the bus's own callback
     * never does).
     *
     * @param delivery the message; settle it exactly once, from any thread, now or later
     */
    void onDelivery(Delivery delivery);
}
