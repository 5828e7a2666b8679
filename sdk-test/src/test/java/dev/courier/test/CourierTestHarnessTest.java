package dev.courier.test;

import dev.courier.Command;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.NonRetryableException;
import dev.courier.RetryPolicy;
import dev.courier.spi.Address;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CourierTestHarnessTest {

    @MessageName("v1.order.place")
    record PlaceOrder(String customerId, int quantity) implements Command {}

    @MessageName("v1.order.placed")
    record OrderPlaced(String orderId, String customerId) implements Event {}

    @MessageName("v1.parcel.shipped")
    record ParcelShipped(String orderId) implements Event {}

    @Test
    void aChainOfServicesIsVisibleOnTheWireWithOneCorrelationId() {
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", b -> b.produces(OrderPlaced.class)
                    .onCommand(PlaceOrder.class, (cmd, ctx) -> ctx.publish(new OrderPlaced("o-1", cmd.customerId()))));
            harness.start("shipping", b -> b.produces(ParcelShipped.class)
                    .onEvent(OrderPlaced.class, (e, ctx) -> ctx.publish(new ParcelShipped(e.orderId()))));
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));

            storefront.send(new PlaceOrder("alice", 2)).join();

            WireMessage command = harness.awaitSent(PlaceOrder.class);
            WireMessage placed = harness.awaitPublished(OrderPlaced.class, e -> e.customerId().equals("alice"));
            WireMessage shipped = harness.awaitPublished(ParcelShipped.class);
            harness.awaitHandled("shipping", OrderPlaced.class);

            assertEquals("alice", placed.payload(OrderPlaced.class).customerId());
            assertEquals(Address.Kind.COMMAND, command.kind());
            assertEquals("storefront", command.source());
            assertNull(command.causationId(), "the command is the conversation's root");
            assertEquals(command.id(), placed.causationId(), "ordering's event is caused by the command");
            assertEquals(placed.id(), shipped.causationId(), "shipping's event is caused by ordering's");
            List<WireMessage> conversation = harness.conversation(command.correlationId());
            assertEquals(List.of(command.id(), placed.id(), shipped.id()),
                    conversation.stream().map(WireMessage::id).toList(), conversation.toString());
            harness.assertNoDeadLetters();
        }
    }

    @Test
    void aWaitThatIsNotMetFailsAfterItsPatienceSayingWhatWasThere() {
        try (CourierTestHarness harness = CourierTestHarness.create().patience(Duration.ofMillis(200))) {
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
            harness.start("ordering", b -> b.onCommand(PlaceOrder.class, (cmd, ctx) -> { }));
            storefront.send(new PlaceOrder("bob", 1)).join();

            long start = System.nanoTime();
            AssertionError e = assertThrows(AssertionError.class, () -> harness.awaitPublished(OrderPlaced.class));
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.getMessage().contains("no v1.order.placed was published"), e.getMessage());
            assertTrue(e.getMessage().contains("v1.order.place "), "lists what was on the wire: " + e.getMessage());
            assertTrue(tookMillis >= 200 && tookMillis < 5_000, "waited " + tookMillis + " ms");
        }
    }

    @Test
    void aHandlerThatFailsIsRetriedOnlyWhenManualTimeAdvances() {
        AtomicInteger calls = new AtomicInteger();
        try (CourierTestHarness harness = CourierTestHarness.withManualTime()) {
            harness.start("ordering", b -> b
                    .retryPolicy(RetryPolicy.custom().maxAttempts(3).initialBackoff(Duration.ofSeconds(1)).multiplier(2)
                            .jitter(0).redeliveryDelays(List.of()).build())
                    .onCommand(PlaceOrder.class, (cmd, ctx) -> {
                        if (calls.incrementAndGet() < 3) {
                            throw new IllegalStateException("not yet (call " + calls.get() + ")");
                        }
                    }));
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
            storefront.send(new PlaceOrder("carol", 1)).join();

            harness.awaitRetried("ordering", PlaceOrder.class, 1);
            Await.stays(Duration.ofMillis(300), () -> calls.get() == 1, () -> "retried before time moved: " + calls);

            harness.time().advance(Duration.ofSeconds(1));
            harness.awaitRetried("ordering", PlaceOrder.class, 2);
            Await.stays(Duration.ofMillis(300), () -> calls.get() == 2, () -> "retried too early: " + calls);

            harness.time().advance(Duration.ofSeconds(2));
            harness.awaitHandled("ordering", PlaceOrder.class);
            assertEquals(3, calls.get());
            assertTrue(harness.time().requestedDelays().containsAll(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2))),
                    "backoffs asked for: " + harness.time().requestedDelays());
            harness.assertNoDeadLetters();
        }
    }

    @Test
    void aDelayedRedeliveryComesBackOnlyWhenManualTimePassesItsDelay() {
        AtomicInteger calls = new AtomicInteger();
        try (CourierTestHarness harness = CourierTestHarness.withManualTime()) {
            harness.start("ordering", b -> b
                    .retryPolicy(RetryPolicy.custom().maxAttempts(1).redeliveryDelays(Duration.ofMinutes(5)).build())
                    .onCommand(PlaceOrder.class, (cmd, ctx) -> {
                        if (calls.incrementAndGet() == 1) {
                            throw new IllegalStateException("the first attempt fails");
                        }
                    }));
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
            storefront.send(new PlaceOrder("dave", 1)).join();

            List<Retried> retries = harness.awaitRetried("ordering", PlaceOrder.class, 1);
            assertTrue(retries.get(0).delayed(), "the next try is a delayed redelivery: " + retries);
            harness.time().advance(Duration.ofMinutes(4));
            Await.stays(Duration.ofMillis(300), () -> calls.get() == 1, () -> "redelivered before its delay: " + calls);

            harness.time().advance(Duration.ofMinutes(1));
            harness.awaitHandled("ordering", PlaceOrder.class);
            assertEquals(2, calls.get());
        }
    }

    @Test
    void aNonRetryableFailureIsDeadLetteredWithItsReason() {
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            harness.start("ordering", b -> b.onCommand(PlaceOrder.class, (cmd, ctx) -> {
                throw new NonRetryableException("quantity " + cmd.quantity() + " is not allowed");
            }));
            MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
            storefront.send(new PlaceOrder("erin", -1)).join();

            DeadLettered d = harness.awaitDeadLettered("ordering", PlaceOrder.class);
            assertTrue(d.error() instanceof NonRetryableException, String.valueOf(d.error()));
            assertEquals("quantity -1 is not allowed", d.error().getMessage());
            assertThrows(AssertionError.class, harness::assertNoDeadLetters);
            assertTrue(harness.handled().isEmpty(), "nothing was handled: " + harness.handled());
        }
    }

    @Test
    void twoHarnessesDoNotSeeEachOthersMessages() {
        try (CourierTestHarness a = CourierTestHarness.create(); CourierTestHarness b = CourierTestHarness.create()) {
            a.start("ordering", x -> x.onCommand(PlaceOrder.class, (cmd, ctx) -> { }));
            b.start("ordering", x -> x.onCommand(PlaceOrder.class, (cmd, ctx) -> { }));
            a.start("storefront", x -> x.produces(PlaceOrder.class)).send(new PlaceOrder("frank", 1)).join();

            a.awaitHandled("ordering", PlaceOrder.class);
            Await.stays(Duration.ofMillis(200), () -> b.handled().isEmpty() && b.wire().isEmpty(),
                    () -> "the other harness saw: " + b.wire());
        }
    }

    @Test
    void closeClosesEveryBusItStarted() {
        CourierTestHarness harness = CourierTestHarness.create();
        MessageBus one = harness.start("ordering", b -> b.onCommand(PlaceOrder.class, (cmd, ctx) -> { }));
        MessageBus two = harness.start("storefront", b -> b.produces(PlaceOrder.class));
        harness.close();
        assertTrue(one.health().closed() && two.health().closed());
        assertFalse(harness.wire().size() > 0);
    }

    @Test
    void manualTimeIsOnlyForAManualHarness() {
        try (CourierTestHarness harness = CourierTestHarness.create()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, harness::time);
            assertTrue(e.getMessage().contains("withManualTime"), e.getMessage());
        }
    }
}
