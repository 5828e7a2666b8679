package dev.courier.kit;

import dev.courier.CourierException;
import dev.courier.spi.Delivery;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportSubscription;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.failure;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.publishPinged;
import static dev.courier.kit.Kit.settle;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Settle once (issue 10 item 3), the rule in {@link Delivery}'s Javadoc: the first of ack, reject or
 * redeliverLater settles a delivery; every later call, on any thread, does nothing and completes
 * normally; a delivery whose transport closed (or whose connection was replaced) is stale, and
 * settling it fails while the broker delivers the message again.
 */
public interface SettleCases extends KitHarness {

    /**
     * The hint the settle cases give when they fail: how to make settling atomic.
     *
     */
    String SETTLE_ONCE = "check that the delivery claims 'settled' with one atomic compare-and-set before it sends"
            + " or publishes anything, in ack, reject and redeliverLater alike";

    /**
     * Checks that a second ack does nothing and completes normally.
     *
     */
    @KitCase
    default void ackingTwiceAcksOnce() {
        secondSettleDoesNothing("ack, ack", d -> d.ack(), d -> d.ack(), 1);
    }

    /**
     * Checks that rejecting an acked delivery does nothing: the message never comes again.
     *
     */
    @KitCase
    default void rejectingAnAckedDeliveryDoesNothing() {
        secondSettleDoesNothing("ack, reject(true)", d -> d.ack(), d -> d.reject(true), 1);
    }

    /**
     * Checks that acking a delivery already rejected with requeue does nothing: the message comes again once.
     *
     */
    @KitCase
    default void ackingARejectedDeliveryDoesNothing() {
        secondSettleDoesNothing("reject(true), ack", d -> d.reject(true), d -> d.ack(), 2);
    }

    /**
     * Checks that a second redeliverLater does nothing: the message comes back once.
     *
     */
    @KitCase
    default void redeliveringLaterTwiceBringsTheMessageBackOnce() {
        secondSettleDoesNothing("redeliverLater, redeliverLater", d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(200)),
                d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(200)), 2);
    }

    /**
     * Settles one delivery twice; the message must then be delivered exactly {@code copies} times in
     * all, and the subscription must carry on (a stray second ack closes an AMQP channel).
     */
    private void secondSettleDoesNothing(String calls, Function<Delivery, CompletableFuture<Void>> first,
                                         Function<Delivery, CompletableFuture<Void>> second, int copies) {
        Transport t = raw();
        Received got = new Received();
        t.subscribe(PINGED, "settle", 4, got);
        String id = publishPinged(t, 1, patience());
        Delivery d = got.await(id, 1, patience(), "check that a raw subscription receives events published after it");
        CompletableFuture<Void> f1 = settle("the first settle", () -> first.apply(d));
        CompletableFuture<Void> f2 = settle("the second settle", () -> second.apply(d));
        join(f1, patience());
        join(f2, patience());
        if (copies > 1) {
            Delivery again = got.await(id, copies, patience(), "the first settle (" + calls + ") gives the message back");
            join(settle("ack", again::ack), patience());
        }
        Await.stays(Duration.ofSeconds(1), () -> got.count(id) == copies, () -> "settling twice (" + calls + ") should"
                + " deliver the message " + copies + " time(s) in all, it came " + got.count(id) + " times — " + SETTLE_ONCE);
        String next = publishPinged(t, 2, patience());
        Delivery n = got.await(next, 1, patience(), "the subscription must carry on after a second settle — check that"
                + " the second call sends nothing to the broker (an unknown delivery tag closes an AMQP channel)");
        join(settle("ack", n::ack), patience());
    }

    /**
     * Checks that settling a delivery twice frees one prefetch slot, not two.
     *
     */
    @KitCase
    default void settlingTwiceDoesNotFreeTwoDeliverySlots() {
        Transport t = raw();
        Received got = new Received();
        t.subscribe(PINGED, "slots", 1, got);
        String a = publishPinged(t, 1, patience());
        Delivery da = got.await(a, 1, patience(), "check that prefetch 1 still delivers one message");
        join(settle("ack", da::ack), patience());
        join(settle("the second ack", da::ack), patience());
        join(settle("reject after ack", () -> da.reject(false)), patience());
        String b = publishPinged(t, 2, patience());
        String c = publishPinged(t, 3, patience());
        Delivery db = got.await(b, 1, patience(), "check that one ack frees the slot of prefetch 1");
        Await.stays(Duration.ofSeconds(1), () -> got.count(c) == 0, () -> "with prefetch 1 and one delivery unsettled,"
                + " a second one arrived: the second and third settle of an earlier delivery freed slots again — "
                + SETTLE_ONCE + ", and that only the winner releases the prefetch slot");
        join(settle("ack", db::ack), patience());
        join(settle("ack", got.await(c, 1, patience(), "an ack frees the slot")::ack), patience());
    }

    /**
     * Checks that rejects with requeue racing on several threads requeue the message exactly once.
     *
     */
    @KitCase
    default void concurrentRejectsRequeueOnce() {
        concurrentSettlesTakeEffectOnce("reject(true)", i -> d -> d.reject(true), true);
    }

    /**
     * Checks that redeliverLaters racing on several threads bring the message back exactly once.
     *
     */
    @KitCase
    default void concurrentRedeliverLatersBringTheMessageBackOnce() {
        concurrentSettlesTakeEffectOnce("redeliverLater", i -> d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(100)), true);
    }

    /**
     * Checks that acks, rejects and redeliverLaters racing on several threads settle the delivery exactly once.
     *
     */
    @KitCase
    default void concurrentAcksRejectsAndRedeliverLatersSettleOnce() {
        concurrentSettlesTakeEffectOnce("a mix of ack, reject(true) and redeliverLater", i -> switch (i % 3) {
            case 0 -> d -> d.ack();
            case 1 -> d -> d.reject(true);
            default -> d -> dev.courier.kit.Kit.later(d, d.headers(), Duration.ofMillis(100));
        }, false);
    }

    /**
     * Eight threads settle each of five deliveries at the same moment. Every future completes
     * normally; a message that was given back comes back exactly once ({@code givenBack}), or at
     * most once when an ack may have won the race.
     */
    private void concurrentSettlesTakeEffectOnce(String what, java.util.function.IntFunction<Function<Delivery,
            CompletableFuture<Void>>> settleOf, boolean givenBack) {
        Transport t = raw();
        Received got = new Received();
        t.subscribe(PINGED, "race", 8, got);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(publishPinged(t, i, patience()));
        }
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            for (String id : ids) {
                Delivery d = got.await(id, 1, patience(), "check that a raw subscription receives events");
                CountDownLatch gate = new CountDownLatch(1);
                List<CompletableFuture<CompletableFuture<Void>>> calls = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    Function<Delivery, CompletableFuture<Void>> s = settleOf.apply(i);
                    calls.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            gate.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return settle(what, () -> s.apply(d));
                    }, threads));
                }
                gate.countDown();
                for (CompletableFuture<CompletableFuture<Void>> c : calls) {
                    join(join(c, patience()), patience());
                }
            }
        } finally {
            threads.shutdownNow();
        }
        for (String id : ids) {
            if (givenBack) {
                join(settle("ack", got.await(id, 2, patience(), what + " from eight threads must give the message"
                        + " back once, not lose it")::ack), patience());
            }
        }
        Await.stays(Duration.ofSeconds(1), () -> ids.stream().allMatch(id -> got.count(id) <= 2),
                () -> what + " from eight threads at once must settle each delivery once; deliveries per message: "
                        + ids.stream().map(got::count).toList() + " — " + SETTLE_ONCE);
        for (Delivery d : got.all()) {
            d.ack(); // copies that came back after a mixed race
        }
    }

    /**
     * Checks that settling a delivery after its transport closed fails its future (stale) and the broker delivers the message again.
     *
     */
    @KitCase
    default void settlingAfterTheTransportClosedFailsAndTheMessageComesAgain() {
        Transport publisher = raw();
        Transport member = raw();
        Received got = new Received();
        member.subscribe(PINGED, "stale", 4, got);
        List<String> ids = List.of(publishPinged(publisher, 1, patience()), publishPinged(publisher, 2, patience()),
                publishPinged(publisher, 3, patience()));
        List<Delivery> held = new ArrayList<>();
        for (String id : ids) {
            held.add(got.await(id, 1, patience(), "check that a raw subscription receives events"));
        }
        member.close();
        List<CompletableFuture<Void>> late = List.of(settle("ack after close", held.get(0)::ack),
                settle("reject after close", () -> held.get(1).reject(true)),
                settle("redeliverLater after close", () -> dev.courier.kit.Kit.later(held.get(2), held.get(2).headers(), Duration.ofMillis(100))));
        for (CompletableFuture<Void> f : late) {
            assertInstanceOf(CourierException.class, failure(f, patience()), "a settle of a delivery whose transport"
                    + " closed must fail with a CourierException saying the delivery is stale (the broker has taken"
                    + " the message back), not pretend it reached the broker");
        }
        Received next = new Received(Delivery::ack);
        raw().subscribe(PINGED, "stale", 4, next);
        for (String id : ids) {
            next.await(id, 1, patience(), "a message whose delivery went stale must be delivered again to the group's"
                    + " next member — check that closing a transport gives its unsettled deliveries back");
        }
    }

    /**
     * Checks that deliveries outstanding when only the subscription closes can still be settled, and their acks hold.
     *
     */
    @KitCase
    default void deliveriesOutstandingWhenTheSubscriptionClosesCanStillBeSettled() {
        Transport publisher = raw();
        Transport first = raw();
        Received got = new Received();
        TransportSubscription s = first.subscribe(PINGED, "outstanding", 4, got);
        String acked = publishPinged(publisher, 1, patience());
        String givenBack = publishPinged(publisher, 2, patience());
        Delivery da = got.await(acked, 1, patience(), "check that a raw subscription receives events");
        Delivery dg = got.await(givenBack, 1, patience(), "check that a raw subscription receives events");
        Received other = new Received(Delivery::ack);
        raw().subscribe(PINGED, "outstanding", 4, other);
        s.close();
        join(settle("ack after the subscription closed", da::ack), patience());
        join(settle("reject(true) after the subscription closed", () -> dg.reject(true)), patience());
        other.await(givenBack, 1, patience(), "a delivery given back after its subscription closed must go to the"
                + " group's other member — check that reject(true) still works on the transport after"
                + " TransportSubscription.close() and that nothing is parked on the closed subscription");
        Await.stays(Duration.ofSeconds(1), () -> other.count(acked) == 0, () -> "a message acked after its"
                + " subscription closed came again — check that ack still reaches the broker after"
                + " TransportSubscription.close() (the bus acks handlers that finish while it closes)");
    }
}
