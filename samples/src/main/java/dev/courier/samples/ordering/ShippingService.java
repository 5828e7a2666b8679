package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.OrderShipped;
import dev.courier.samples.ordering.Messages.PaymentCaptured;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ships paid orders. It remembers what each order contains from {@code v1.order.placed}; an order
 * with a discontinued item cannot be shipped, however often it is tried, and ends in the dead letter.
 */
public final class ShippingService {
    private ShippingService() {
    }

    /** Raised for an order the warehouse cannot fulfil. */
    public static final class OutOfStock extends RuntimeException {
        public OutOfStock(String message) {
            super(message);
        }
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        Map<String, OrderPlaced> orders = new ConcurrentHashMap<>();
        return bus
                .produces(OrderShipped.class)
                .onEvent(OrderPlaced.class, (order, ctx) -> orders.put(order.orderId(), order))
                .onEvent(PaymentCaptured.class, (paid, ctx) -> {
                    OrderPlaced order = orders.get(paid.orderId());
                    if (order == null) {
                        // Events of different types may arrive in any order: come back later.
                        throw new IllegalStateException("order " + paid.orderId() + " not seen yet");
                    }
                    for (Line line : order.lines()) {
                        if (line.sku().startsWith("DISCONTINUED")) {
                            throw new OutOfStock("SKU " + line.sku() + " is no longer stocked");
                        }
                    }
                    ctx.publish(new OrderShipped(paid.orderId(), "TRK-" + paid.orderId().substring(6).toUpperCase()),
                            OrderingService.about(order.customerId()));
                });
    }
}
