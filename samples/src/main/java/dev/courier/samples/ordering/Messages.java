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
}
