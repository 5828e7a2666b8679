package dev.courier.kit;

import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.json;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.publishPinged;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What {@link TransportSubscription#close()} does (issue 12): the address and group can be
 * subscribed again; the group's messages go to its other members or wait for a later one, never
 * parked on the closed subscription; close is idempotent, safe on several threads and bounded.
 */
public interface SubscriptionCases extends KitHarness {

    /** A second event address, for a transport's other subscription. */
    dev.courier.spi.Address BLOB = dev.courier.spi.Address.event("v1.kit.blob.stored");

    /**
     * Checks that the address and group of a closed subscription can be subscribed again at once on the same transport.
     *
     */
    @KitCase
    default void aClosedSubscriptionsAddressAndGroupCanBeSubscribedAgainOnTheSameTransport() {
        Transport t = raw();
        Received first = new Received(Delivery::ack);
        TransportSubscription s = t.subscribe(PINGED, "again", 4, first);
        s.close();
        assertFalse(s.isActive(), "a closed subscription must say it is not active");
        Received second = new Received(Delivery::ack);
        try {
            t.subscribe(PINGED, "again", 4, second);
        } catch (RuntimeException e) {
            fail("subscribing the same address and group again after close() failed: " + e + " — check that"
                    + " TransportSubscription.close() forgets the subscription (its name, its filter) on the transport", e);
        }
        String id = publishPinged(t, 1, patience());
        second.await(id, 1, patience(), "the new subscription of the same address and group must get what is"
                + " published after it");
        assertEquals(0, first.count(id), "the closed subscription's callback must not be called any more");
    }

    /**
     * Checks that after one member's subscription closes, the group's messages go to the other members, none lost.
     *
     */
    @KitCase
    default void closingOneMembersSubscriptionSendsTheGroupsMessagesToTheOtherMembers() {
        Transport leaving = raw();
        Transport staying = raw();
        Received left = new Received(Delivery::ack);
        Received stayed = new Received(Delivery::ack);
        Received otherAddress = new Received(Delivery::ack);
        TransportSubscription s = leaving.subscribe(PINGED, "members", 4, left);
        leaving.subscribe(BLOB, "members", 4, otherAddress);
        staying.subscribe(PINGED, "members", 4, stayed);
        s.close();
        int before = left.all().size();
        Transport publisher = raw();
        List<String> ids = new ArrayList<>();
        List<String> blobs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add(publishPinged(publisher, i, patience()));
            String blob = UUID.randomUUID().toString();
            join(publisher.publish(BLOB, headersFor(BLOB.name(), blob), json("{\"data\":\"b\"}")), patience());
            blobs.add(blob);
        }
        for (String id : ids) {
            stayed.await(id, 1, patience(), "every message published after one member's subscription closed must"
                    + " reach the group's other member — check that close() unsubscribes on the broker (or gives"
                    + " back what still arrives) instead of keeping the closed member's share");
        }
        for (String blob : blobs) {
            otherAddress.await(blob, 1, patience(), "another subscription on the leaving member's transport must keep"
                    + " receiving — check that nothing held for the closed subscription stalls the connection");
        }
        assertEquals(before, left.all().size(), "the closed subscription's callback was called after close()");
    }

    /**
     * Checks that events published while every instance of a service is down reach its next instance.
     *
     */
    @KitCase
    default void eventsPublishedWhileAServiceIsDownReachItsNextInstance() {
        Set<Integer> byFirst = ConcurrentHashMap.newKeySet();
        MessageBus first = start(bus("downtime").instanceId("first").onEvent(Pinged.class, (e, ctx) -> byFirst.add(e.n())));
        MessageBus pub = start(bus("pub"));
        join(pub.publish(new Pinged(-1, "before")), patience());
        Await.until(patience(), () -> byFirst.contains(-1), () -> "the first instance should handle an event");
        first.close();
        for (int i = 0; i < 20; i++) {
            join(pub.publish(new Pinged(i, "while down")), patience());
        }
        Set<Integer> bySecond = ConcurrentHashMap.newKeySet();
        start(bus("downtime").instanceId("second").onEvent(Pinged.class, (e, ctx) -> bySecond.add(e.n())));
        Await.until(patience(), () -> bySecond.size() >= 20, () -> "events published (and confirmed) while the"
                + " service's only instance was closed must reach its next instance; got " + bySecond
                + " — check that closing a bus's subscriptions and transport keeps the group's queue/session, so the"
                + " group keeps its messages while no member is online");
    }

    /**
     * Checks that closing a subscription is idempotent, safe from several threads at once, and returns within a bound.
     *
     * @throws Exception when the closing threads cannot be joined
     */
    @KitCase
    default void closingASubscriptionIsIdempotentSafeOnSeveralThreadsAndBounded() throws Exception {
        Duration bound = Duration.ofSeconds(10);
        Transport publisher = raw();
        Set<String> left = new HashSet<>();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            for (int round = 0; round < 6; round++) {
                Transport t = unstartedTransport();
                t.start(new TransportContext("kitraw", "closer" + round, Duration.ofSeconds(15)));
                Received got = new Received();
                // prefetch 16: the unsettled messages of earlier rounds come to this round's member too
                TransportSubscription s = t.subscribe(PINGED, "closing", 16, got);
                String id = publishPinged(publisher, round, patience());
                got.await(id, 1, patience(), "check that a raw subscription receives events");
                left.add(id); // unsettled: it must come again to the next member
                CountDownLatch gate = new CountDownLatch(1);
                List<CompletableFuture<Void>> closes = new ArrayList<>();
                for (Runnable close : List.<Runnable>of(s::close, s::close, t::close)) {
                    closes.add(CompletableFuture.runAsync(() -> {
                        try {
                            gate.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        close.run();
                    }, threads));
                }
                gate.countDown();
                try {
                    CompletableFuture.allOf(closes.toArray(new CompletableFuture[0])).get(bound.toMillis(), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    fail("round " + round + ": closing a subscription on two threads while its transport closes did not"
                            + " return within " + bound + " — check that close() is once-only (a guard, not a flag"
                            + " read twice), sends nothing on a channel/connection that is closing, and that every"
                            + " broker round trip in close has a timeout");
                } catch (java.util.concurrent.ExecutionException e) {
                    fail("round " + round + ": closing a subscription on two threads while its transport closes threw "
                            + e.getCause() + " — close() must be idempotent and safe on several threads", e.getCause());
                }
                s.close();
                t.close();
                assertFalse(s.isActive(), "a closed subscription must say it is not active");
            }
        } finally {
            threads.shutdownNow();
        }
        Received next = new Received(Delivery::ack);
        raw().subscribe(PINGED, "closing", 16, next);
        Await.until(patience(), () -> next.all().stream().map(d -> d.headers().get(Headers.ID)).toList().containsAll(left),
                () -> "the unsettled messages of the closed members must reach the group's next member; missing "
                        + left.stream().filter(id -> next.count(id) == 0).toList()
                        + " — check that a close racing with the transport's close still gives unsettled deliveries back");
    }
}
