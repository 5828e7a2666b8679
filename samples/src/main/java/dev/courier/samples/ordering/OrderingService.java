package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.PlaceOrder;

import dev.courier.jdbc.JdbcInbox;
import dev.courier.jdbc.JdbcOutbox;

import java.math.BigDecimal;
import java.sql.PreparedStatement;
import java.util.UUID;
import java.util.function.Supplier;

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

    /**
     * The JDBC variant: the order row, the inbox's "done" mark and {@code v1.order.placed} (written to
     * the outbox) commit in one transaction, so a crash at any point neither loses the event nor
     * publishes it for an order that was rolled back. The relay publishes committed outbox rows.
     */
    public static MessageBus.Builder configureJdbc(MessageBus.Builder bus, JdbcInbox inbox, Supplier<JdbcOutbox> outbox) {
        return bus
                .deduplicationStore(inbox)
                .produces(OrderPlaced.class)
                .onCommand(PlaceOrder.class, inbox.transactional("ordering", (cmd, ctx, connection) -> {
                    String orderId = "order-" + UUID.nameUUIDFromBytes(ctx.messageId().getBytes()).toString().substring(0, 8);
                    BigDecimal total = cmd.lines().stream()
                            .map(l -> l.unitPrice().multiply(BigDecimal.valueOf(l.quantity())))
                            .reduce(BigDecimal.ZERO, BigDecimal::add);
                    try (PreparedStatement ps = connection.prepareStatement(
                            "INSERT INTO demo_orders (order_id, customer_id, total) VALUES (?, ?, ?)")) {
                        ps.setString(1, orderId);
                        ps.setString(2, cmd.customerId());
                        ps.setBigDecimal(3, total);
                        ps.executeUpdate();
                    }
                    if (ctx.isRequest()) {
                        ctx.reply(new OrderAccepted(orderId)); // held until the handler succeeds
                    }
                    // In the same transaction as the order row; the aggregate key keeps one order's events in order.
                    outbox.get().publish(connection, new OrderPlaced(orderId, cmd.customerId(), cmd.lines(), total), orderId);
                }));
    }

    /** Total item count, used by the other services. */
    static int items(OrderPlaced order) {
        return order.lines().stream().mapToInt(Line::quantity).sum();
    }
}
