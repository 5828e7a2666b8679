package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.CustomerNotified;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.OrderShipped;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Tells customers about their orders: once when placed, once when shipped. */
public final class NotificationService {
    private NotificationService() {
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        Map<String, String> customers = new ConcurrentHashMap<>();
        return bus
                .produces(CustomerNotified.class)
                .onEvent(OrderPlaced.class, (order, ctx) -> {
                    customers.put(order.orderId(), order.customerId());
                    ctx.publish(new CustomerNotified(order.orderId(), order.customerId(),
                            "Thanks! We received order " + order.orderId()));
                })
                .onEvent(OrderShipped.class, (shipped, ctx) -> ctx.publish(new CustomerNotified(shipped.orderId(),
                        customers.getOrDefault(shipped.orderId(), "unknown"),
                        "Your order is on its way: " + shipped.trackingNumber())));
    }
}
