package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.PlaceOrder;

import dev.courier.jdbc.JdbcInbox;
import dev.courier.jdbc.JdbcOutbox;

import dev.courier.NonRetryableException;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.sql.PreparedStatement;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Takes {@code v1.order.place}, checks it, replies with the new order id, and publishes
 * {@code v1.order.placed} with the customer as its CloudEvents {@code subject} (a WebSocket hub shows a
 * customer's events to every tab of that customer by it). An invalid order is refused with
 * {@link InvalidOrder}: the requester gets the reason, nothing is published.
 */
public final class OrderingService {
    /** Most items of one SKU in one order. */
    public static final int MAX_QUANTITY = 99;
    /** Most lines in one order. */
    public static final int MAX_LINES = 20;

    private OrderingService() {
    }

    /**
     * An order that breaks a rule. Non-retryable: the command goes to ordering's dead letter at once and a
     * requester's future fails with a {@link dev.courier.RemoteHandlerException} carrying this message.
     */
    public static final class InvalidOrder extends NonRetryableException {
        public InvalidOrder(String reason) {
            super(reason);
        }
    }

    /** The rules every order must meet; the page checks the same ones, but only this check counts. */
    public static void check(PlaceOrder cmd) {
        if (cmd.customerId() == null || cmd.customerId().isBlank()) {
            throw new InvalidOrder("the customer id is missing");
        }
        int lines = cmd.lines() == null ? 0 : cmd.lines().size();
        if (lines < 1 || lines > MAX_LINES) {
            throw new InvalidOrder("an order needs 1 to " + MAX_LINES + " lines, had " + lines);
        }
        for (Line l : cmd.lines()) {
            if (l == null || l.sku() == null || l.sku().isBlank()) {
                throw new InvalidOrder("every line needs a SKU");
            }
            if (l.quantity() < 1 || l.quantity() > MAX_QUANTITY) {
                throw new InvalidOrder("quantity of " + l.sku() + " must be a whole number from 1 to " + MAX_QUANTITY
                        + ", was " + l.quantity());
            }
            if (l.unitPrice() == null || l.unitPrice().signum() <= 0 || l.unitPrice().stripTrailingZeros().scale() > 2) {
                throw new InvalidOrder("unit price of " + l.sku() + " must be positive with at most 2 decimals, was "
                        + (l.unitPrice() == null ? "missing" : l.unitPrice().toPlainString()));
            }
        }
    }

    /** The order's total, in money: always 2 decimals ({@code 12.50}, never {@code 12.5}). */
    static BigDecimal total(PlaceOrder cmd) {
        return cmd.lines().stream()
                .map(l -> l.unitPrice().multiply(BigDecimal.valueOf(l.quantity())))
                .reduce(BigDecimal.ZERO, BigDecimal::add)
                .setScale(2, RoundingMode.UNNECESSARY);
    }

    /** Headers naming the customer an event is about: its CloudEvents {@code subject}. */
    public static Map<String, String> about(String customerId) {
        return Map.of("subject", customerId);
    }

    public static MessageBus.Builder configure(MessageBus.Builder bus) {
        return bus
                .produces(OrderPlaced.class)
                .onCommand(PlaceOrder.class, (cmd, ctx) -> {
                    check(cmd);
                    Requester.requireOwn(cmd.customerId(), ctx, "place their own orders");
                    // Derive the order id from the command id: a redelivered command gets the same order.
                    String orderId = "order-" + UUID.nameUUIDFromBytes(ctx.messageId().getBytes()).toString().substring(0, 8);
                    BigDecimal total = total(cmd);
                    if (ctx.isRequest()) {
                        ctx.reply(new OrderAccepted(orderId));
                    }
                    // Held back until this handler returns; goes out with our correlation id.
                    ctx.publish(new OrderPlaced(orderId, cmd.customerId(), cmd.lines(), total), about(cmd.customerId()));
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
                    check(cmd);
                    Requester.requireOwn(cmd.customerId(), ctx, "place their own orders");
                    String orderId = "order-" + UUID.nameUUIDFromBytes(ctx.messageId().getBytes()).toString().substring(0, 8);
                    BigDecimal total = total(cmd);
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
                    outbox.get().publish(connection, new OrderPlaced(orderId, cmd.customerId(), cmd.lines(), total), orderId,
                            about(cmd.customerId()));
                }));
    }

    /** Total item count, used by the other services. */
    static int items(OrderPlaced order) {
        return order.lines().stream().mapToInt(Line::quantity).sum();
    }
}
