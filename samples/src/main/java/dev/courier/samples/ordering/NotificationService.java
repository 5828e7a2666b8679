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
                            "Thanks! We received order " + order.orderId()), OrderingService.about(order.customerId()));
                })
                .onEvent(OrderShipped.class, (shipped, ctx) -> {
                    // the customer from v1.order.placed, else the subject shipping gave the event
                    String customer = customers.getOrDefault(shipped.orderId(),
                            ctx.envelope().subject() != null ? ctx.envelope().subject() : "unknown");
                    ctx.publish(new CustomerNotified(shipped.orderId(), customer,
                            "Your order is on its way: " + shipped.trackingNumber()), OrderingService.about(customer));
                });
    }
}
