package dev.courier.spi;

/** Receives deliveries from a subscription. It must return quickly: the bus hands work off. */
@FunctionalInterface
public interface DeliveryCallback {
    void onDelivery(Delivery delivery);
}
