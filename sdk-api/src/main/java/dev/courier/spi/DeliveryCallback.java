package dev.courier.spi;

/**
 * Receives deliveries from a subscription. It must return quickly: the bus hands work off. A publish
 * made inside it never blocks (see {@link Transport}); settling inside it is allowed.
 */
@FunctionalInterface
public interface DeliveryCallback {
    /**
     * Called once per delivery, on a thread of the transport (a delivery or dispatch thread, never
     * the thread that subscribed). It should not throw (the bus's own callback never does).
     *
     * @param delivery the message; settle it exactly once, from any thread, now or later
     */
    void onDelivery(Delivery delivery);
}
