package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.PlaceOrder;

import java.math.BigDecimal;
import java.util.UUID;

/** Takes {@code v1.order.place}, replies with the new order id, and publishes {@code v1.order.placed}. */
public final class OrderingService {
    private OrderingService() {
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        return bus
                .produces(OrderPlaced.class)
                .onCommand(PlaceOrder.class, (cmd, ctx) -> {
                    // Derive the order id from the command id: a redelivered command gets the same order.
                    String orderId = "order-" + UUID.nameUUIDFromBytes(ctx.messageId().getBytes()).toString().substring(0, 8);
                    BigDecimal total = cmd.lines().stream()
                            .map(l -> l.unitPrice().multiply(BigDecimal.valueOf(l.quantity())))
                            .reduce(BigDecimal.ZERO, BigDecimal::add);
                    if (ctx.isRequest()) {
                        ctx.reply(new OrderAccepted(orderId));
                    }
                    // Held back until this handler returns; goes out with our correlation id.
                    ctx.publish(new OrderPlaced(orderId, cmd.customerId(), cmd.lines(), total));
                });
    }

    /** Total item count, used by the other services. */
    static int items(OrderPlaced order) {
        return order.lines().stream().mapToInt(Line::quantity).sum();
    }
}
