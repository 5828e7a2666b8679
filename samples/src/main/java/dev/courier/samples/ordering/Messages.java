package dev.courier.samples.ordering;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageName;

import java.math.BigDecimal;
import java.util.List;

/**
 * The ordering demo's messages. Each is a plain record with its wire name: events in the past
 * tense, commands in the present. Adding a field keeps the version; removing or renaming one is v2.
 */
public final class Messages {
    private Messages() {
    }

    /** One line of an order. */
    public record Line(String sku, int quantity, BigDecimal unitPrice) {
    }

    /** Command: place an order. The ordering service replies with {@link OrderAccepted}. */
    @MessageName("v1.order.place")
    public record PlaceOrder(String customerId, List<Line> lines) implements Command {
    }

    /** The reply to {@link PlaceOrder}. */
    public record OrderAccepted(String orderId) {
    }

    /** Event: an order was placed. */
    @MessageName("v1.order.placed")
    public record OrderPlaced(String orderId, String customerId, List<Line> lines, BigDecimal total) implements Event {
    }

    /** Event: the payment for an order was captured. */
    @MessageName("v1.payment.captured")
    public record PaymentCaptured(String orderId, BigDecimal amount) implements Event {
    }

    /** Event: an order left the warehouse. */
    @MessageName("v1.order.shipped")
    public record OrderShipped(String orderId, String trackingNumber) implements Event {
    }

    /** Event: the customer was told about their order. */
    @MessageName("v1.customer.notified")
    public record CustomerNotified(String orderId, String customerId, String text) implements Event {
    }

    /**
     * Command (a request): the customer's recent orders, step by step. The tracking service replies with
     * {@link CustomerOrders}; a page that was reloaded, or opened in a second tab, starts from it.
     */
    @MessageName("v1.order.history")
    public record OrderHistory(String customerId) implements Command {
    }

    /**
     * One event of an order as it travelled: its CloudEvents attributes (named as on the wire, so a page
     * treats a step from the history and a live event alike) and its data.
     */
    public record Step(String type, String id, String correlationid, String causationid, String time, Object data) {
    }

    /** The reply to {@link OrderHistory}: the events of the customer's recent orders, oldest first. */
    public record CustomerOrders(String customerId, List<Step> steps) {
    }
}
