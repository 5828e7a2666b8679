package dev.courier.asyncapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Test messages and services: a small shop with records, nested types, enums, lists, Optional and dates. */
final class Shop {
    private Shop() {
    }

    /** Stands in for JSpecify's or Jakarta's @Nullable: matched by simple name. */
    @Retention(RetentionPolicy.RUNTIME)
    @Target({ElementType.FIELD, ElementType.RECORD_COMPONENT, ElementType.TYPE_USE})
    @interface Nullable {
    }

    enum Status { NEW, PAID, SHIPPED }

    record PostalAddress(String street, String city, String country) {
    }

    record Line(String sku, int quantity, BigDecimal price) {
    }

    record Customer(String id, String email, PostalAddress shipTo) {
    }

    @MessageName("v1.order.placed")
    record OrderPlacedV1(String orderId, Customer customer, List<Line> lines, Status status, Instant placedAt,
                         Optional<String> couponCode, BigDecimal total) implements Event {
    }

    @Deprecated
    @MessageName("v1.order.cancelled")
    record OrderCancelled(String orderId, @Nullable String reason) implements Event {
    }

    @MessageName("v2.order.placed")
    record OrderPlacedV2(UUID orderId, PostalAddress billing, PostalAddress shipping, List<Line> lines,
                         Map<String, String> attributes, LocalDate deliveryDate, @Nullable String note,
                         @JsonProperty("total_cents") long totalCents) implements Event {
    }

    @MessageName("v1.order.place")
    record PlaceOrder(String customerId, List<Line> lines) implements Command {
    }

    @MessageName("v1.order.accepted")
    record OrderAccepted(String orderId, Instant acceptedAt) {
    }

    @MessageName("v1.payment.captured")
    record PaymentCaptured(String orderId, BigDecimal amount, Status status) implements Event {
    }

    @MessageName("v1.payment.refunded")
    record PaymentRefunded(String orderId) implements Event {
    }

    @MessageName("v1.stock.reserve")
    record ReserveStock(String sku, int quantity) implements Command {
    }

    static Object[] samples() {
        Line line = new Line("BOOK-42", 2, new BigDecimal("12.50"));
        PostalAddress home = new PostalAddress("1 Main St", "Springfield", "US");
        return new Object[]{
                new OrderPlacedV1("o-1", new Customer("c-1", "a@example.com", home), List.of(line), Status.NEW,
                        Instant.parse("2024-05-01T10:15:30Z"), Optional.empty(), new BigDecimal("25.00")),
                new OrderPlacedV2(UUID.randomUUID(), home, home, List.of(line), Map.of("gift", "yes"),
                        LocalDate.of(2024, 5, 3), null, 2500),
                new OrderCancelled("o-1", null),
                new PlaceOrder("c-1", List.of(line)),
                new OrderAccepted("o-1", Instant.parse("2024-05-01T10:15:31Z")),
                new PaymentCaptured("o-1", new BigDecimal("25.00"), Status.PAID),
                new PaymentRefunded("o-1"),
                new ReserveStock("BOOK-42", 2)};
    }

    /** Takes orders (a request), publishes v1 and v2 of order.placed during a migration, handles payments. */
    static MessageBus.Builder ordering(String transport) {
        return MessageBus.builder("ordering").transport(transport)
                .onCommand(PlaceOrder.class, (cmd, ctx) -> ctx.reply(new OrderAccepted("o-1", Instant.now())))
                .onEvent(PaymentCaptured.class, (e, ctx) -> { })
                .produces(OrderPlacedV1.class, OrderPlacedV2.class, OrderCancelled.class);
    }

    /** Sends the request; reads v2 only. */
    static MessageBus.Builder storefront(String transport) {
        return MessageBus.builder("storefront").transport(transport)
                .onEvent(OrderPlacedV2.class, (e, ctx) -> { })
                .produces(PlaceOrder.class);
    }

    /** Still on v1; publishes a refund nobody listens to and handles a command nobody sends. */
    static MessageBus.Builder payment(String transport) {
        return MessageBus.builder("payment").transport(transport)
                .onEvent(OrderPlacedV1.class, (e, ctx) -> { })
                .onCommand(ReserveStock.class, (c, ctx) -> { })
                .produces(PaymentCaptured.class, PaymentRefunded.class);
    }
}
