package dev.courier.spi;

/**
 * Receives deliveries from a subscription. It must return quickly: the bus hands work off. A publish
 * made inside it never blocks (see {@link Transport}); settling inside it is allowed.
 */
@FunctionalInterface
public interface DeliveryCallback {
    void onDelivery(Delivery delivery);
}
