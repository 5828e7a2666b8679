package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.RemoteHandlerException;
import dev.courier.samples.ordering.Messages.CustomerNotified;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.PaymentCaptured;
import dev.courier.samples.ordering.Messages.OrderShipped;
import dev.courier.samples.ordering.Messages.PlaceOrder;
import dev.courier.test.CourierTestHarness;
import dev.courier.test.DeadLettered;
import dev.courier.test.WireMessage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo's services one by one, the way a user tests their own: on courier-test's in-memory harness,
 * with manual time for the retries.
 */
class OrderingServicesTest {

    private static final RetryPolicy ONE_SECOND_THEN_TWO = RetryPolicy.custom().maxAttempts(3)
            .initialBackoff(Duration.ofSeconds(1)).multiplier(2).jitter(0).redeliveryDelays(List.of()).build();

    @Test
    void paymentRetriesTheGatewayTwiceThenCapturesTheTotal() {
        try (CourierTestHarness harness = CourierTestHarness.withManualTime()) {
            harness.start("payment", b -> PaymentService.configure(b).retryPolicy(ONE_SECOND_THEN_TWO));
            MessageBus ordering = harness.start("ordering", b -> b.produces(OrderPlaced.class));

            ordering.publish(new OrderPlaced("order-1", "alice",
                    List.of(new Line("BOOK-1", 2, new BigDecimal("12.50"))), new BigDecimal("25.00"))).join();

            harness.awaitRetried("payment", OrderPlaced.class, 1);
            harness.time().advance(Duration.ofSeconds(1));
            harness.awaitRetried("payment", OrderPlaced.class, 2);
            harness.time().advance(Duration.ofSeconds(2));

            WireMessage captured = harness.awaitPublished(PaymentCaptured.class);
            assertEquals(new BigDecimal("25.00"), captured.payload(PaymentCaptured.class).amount());
            assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)),
                    harness.time().requestedDelays().stream().filter(d -> !d.isZero()).distinct().toList(),
                    "the gateway was retried after 1 s, then 2 s");
            harness.assertNoDeadLetters();
        }
    }

    @Test
    void aDiscontinuedItemIsDeadLetteredByShippingWithTheReasonAndOneCorrelationId() {
        RetryPolicy quick = RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofMillis(1)).jitter(0)
                .redeliveryDelays(List.of()).build();
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", OrderingService::configure);
            harness.start("payment", b -> PaymentService.configure(b).retryPolicy(quick));
            harness.start("shipping", b -> ShippingService.configure(b).retryPolicy(RetryPolicy.none()));
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));

            OrderAccepted accepted = storefront.request(new PlaceOrder("bob",
                    List.of(new Line("DISCONTINUED-7", 1, BigDecimal.TEN))), OrderAccepted.class, Duration.ofSeconds(10)).join();

            DeadLettered dead = harness.awaitDeadLettered("shipping", PaymentCaptured.class);
            assertTrue(dead.error() instanceof ShippingService.OutOfStock, String.valueOf(dead.error()));
            assertEquals("SKU DISCONTINUED-7 is no longer stocked", dead.error().getMessage());

            WireMessage command = harness.awaitSent(PlaceOrder.class);
            List<String> chain = harness.conversation(command.correlationId()).stream()
                    .filter(m -> m.type() != null).map(WireMessage::type).distinct().toList();
            assertTrue(chain.containsAll(List.of("v1.order.place", "v1.order.placed", "v1.payment.captured")),
                    "the whole story carries the command's correlation id: " + chain);
            assertEquals(accepted.orderId(), harness.awaitPublished(OrderPlaced.class).payload(OrderPlaced.class).orderId());
        }
    }

    /** Issue 16: quantity 0 silently became 1 on the page and -5 was accepted ("Payment captured: -62.5"). */
    @Test
    void orderingRejectsAnInvalidOrderWithAClearReasonAndPublishesNothing() {
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", OrderingService::configure);
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
            record Case(PlaceOrder order, String reason) {
            }
            List<Case> cases = List.of(
                    new Case(new PlaceOrder("alice", List.of(new Line("BOOK-42", -5, new BigDecimal("12.50")))),
                            "quantity of BOOK-42 must be a whole number from 1 to 99, was -5"),
                    new Case(new PlaceOrder("alice", List.of(new Line("BOOK-42", 0, new BigDecimal("12.50")))),
                            "quantity of BOOK-42 must be a whole number from 1 to 99, was 0"),
                    new Case(new PlaceOrder("alice", List.of(new Line("BOOK-42", 1, new BigDecimal("-1.00")))),
                            "unit price of BOOK-42 must be positive with at most 2 decimals, was -1.00"),
                    new Case(new PlaceOrder("alice", List.of()), "an order needs 1 to 20 lines, had 0"),
                    new Case(new PlaceOrder(" ", List.of(new Line("BOOK-42", 1, BigDecimal.ONE))), "the customer id is missing"));
            for (Case c : cases) {
                CompletionException e = assertThrows(CompletionException.class, () -> storefront.request(c.order(),
                        OrderAccepted.class, Duration.ofSeconds(10)).join());
                RemoteHandlerException refused = assertInstanceOf(RemoteHandlerException.class, e.getCause());
                assertEquals(OrderingService.InvalidOrder.class.getName(), refused.remoteErrorType());
                assertTrue(refused.getMessage().endsWith(": " + c.reason()), refused.getMessage());
            }
            assertTrue(harness.wire().stream().noneMatch(m -> "v1.order.placed".equals(m.type())),
                    "no invalid order was placed: " + harness.wire());
            assertEquals(cases.size(), harness.deadLettered().size(), "each refused order is in ordering's dead letter,"
                    + " at once, without retries: " + harness.retried());
            assertTrue(harness.retried().isEmpty(), "a broken rule is not retried: " + harness.retried());
        }
    }

    /** Issue 16: the events carried no subject, so a customer's other tabs never saw their orders. */
    @Test
    void everyEventOfAnOrderCarriesTheCustomerAsItsSubject() {
        RetryPolicy quick = RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofMillis(1)).jitter(0)
                .redeliveryDelays(List.of()).build();
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", OrderingService::configure);
            harness.start("payment", b -> PaymentService.configure(b).retryPolicy(quick));
            harness.start("shipping", ShippingService::configure);
            harness.start("notification", NotificationService::configure);
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));

            storefront.request(new PlaceOrder("alice", List.of(new Line("BOOK-42", 2, new BigDecimal("12.50")))),
                    OrderAccepted.class, Duration.ofSeconds(10)).join();

            harness.awaitPublished(CustomerNotified.class, n -> n.text().contains("on its way"));
            for (Class<? extends dev.courier.Event> type : List.of(OrderPlaced.class, PaymentCaptured.class,
                    OrderShipped.class, CustomerNotified.class)) {
                WireMessage m = harness.awaitPublished(type);
                assertEquals("alice", m.header("subject"), type.getSimpleName() + " names its customer: " + m);
            }
        }
    }

    /** A tab that starts (a reload, a second tab) asks for the customer's orders: theirs, step by step, no one else's. */
    @Test
    void trackingAnswersWithTheCustomersOwnOrdersStepByStep() {
        RetryPolicy quick = RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofMillis(1)).jitter(0)
                .redeliveryDelays(List.of()).build();
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", OrderingService::configure);
            harness.start("payment", b -> PaymentService.configure(b).retryPolicy(quick));
            harness.start("shipping", ShippingService::configure);
            harness.start("notification", NotificationService::configure);
            harness.start("tracking", TrackingService::configure);
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class, Messages.OrderHistory.class));

            for (String customer : List.of("alice", "bob")) {
                storefront.request(new PlaceOrder(customer, List.of(new Line("BOOK-42", 1, new BigDecimal("12.50")))),
                        OrderAccepted.class, Duration.ofSeconds(10)).join();
            }
            for (String customer : List.of("alice", "bob")) {
                harness.awaitPublished(CustomerNotified.class, n -> n.customerId().equals(customer) && n.text().contains("on its way"));
            }
            harness.awaitHandled("tracking", CustomerNotified.class);
            // the last notification may still be on its way to tracking: ask until the whole story is there
            List<String> types = List.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Messages.CustomerOrders alice = null;
            while (System.nanoTime() < deadline && types.size() < 5) {
                alice = storefront.request(new Messages.OrderHistory("alice"), Messages.CustomerOrders.class,
                        Duration.ofSeconds(10)).join();
                types = alice.steps().stream().map(Messages.Step::type).toList();
            }
            assertEquals(List.of("v1.customer.notified", "v1.customer.notified", "v1.order.placed", "v1.order.shipped",
                    "v1.payment.captured"), types.stream().sorted().toList(), "alice's one order, every event once");
            String correlation = alice.steps().get(0).correlationid();
            assertTrue(alice.steps().stream().allMatch(st -> st.correlationid().equals(correlation) && st.id() != null
                    && st.causationid() != null && st.time() != null), String.valueOf(alice.steps()));
            assertTrue(alice.steps().stream().noneMatch(st -> String.valueOf(st.data()).contains("bob")),
                    "nothing of bob's: " + alice.steps());
        }
    }
}
