package dev.courier.kit;

import dev.courier.CourierException;
import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.Capability;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.failure;
import static dev.courier.kit.Kit.headersFor;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.json;
import static dev.courier.kit.Kit.publishPinged;
import static dev.courier.kit.Kit.settle;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What holds across a broker outage (issue 12), for transports whose kit offers a
 * {@link BrokerControl}: publisher-side order, a group's messages while none of its members is
 * online, and deliveries of a connection that was replaced. Each case runs alone.
 */
public interface BrokerRestartCases extends KitHarness {

    /**
     * Checks that publishes made while the broker is down complete once it is back and arrive in the order they were made.
     *
     */
    @RestartsBroker
    default void publishesMadeWhileTheBrokerIsDownArriveInPublishOrderAfterItIsBack() {
        BrokerControl broker = requireBrokerControl("publisher order across an outage needs one");
        Transport consumer = raw();
        List<String> order = new CopyOnWriteArrayList<>();
        consumer.subscribe(PINGED, "order", 1, d -> {
            order.add(d.headers().get(Headers.ID));
            d.ack();
        });
        Transport publisher = unstartedTransport();
        publisher.start(new TransportContext("kitraw", "orderly", patience()));
        String warmUp = publishPinged(publisher, -1, patience());
        Await.until(patience(), () -> order.contains(warmUp), () -> "the consumer should receive before the outage");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(UUID.randomUUID().toString());
        }
        List<CompletableFuture<Void>> confirms = new CopyOnWriteArrayList<>();
        AtomicInteger issued = new AtomicInteger();
        broker.stop();
        // a thread of its own: a transport may block a publish until the connection is back
        Thread thread = new Thread(() -> {
            for (int i = 0; i < ids.size(); i++) {
                confirms.add(publisher.publish(PINGED, ordered(ids.get(i)),
                        json("{\"n\":" + i + ",\"text\":\"outage\"}")));
                issued.incrementAndGet();
            }
        }, "kit-outage-publisher");
        thread.setDaemon(true);
        try {
            thread.start();
            Await.upTo(Duration.ofSeconds(3), () -> issued.get() == ids.size());
        } finally {
            broker.start();
        }
        Await.until(patience(), () -> issued.get() == ids.size(), () -> "the publishes made during the outage should"
                + " return once the broker is back, " + issued.get() + " of " + ids.size() + " did");
        join(CompletableFuture.allOf(confirms.toArray(new CompletableFuture[0])), patience());
        Await.until(patience(), () -> order.containsAll(ids), () -> "every publish confirmed after the outage must"
                + " arrive, missing " + ids.stream().filter(id -> !order.contains(id)).toList());
        List<String> firstSeen = new ArrayList<>(new LinkedHashSet<>(order));
        firstSeen.retainAll(ids);
        assertEquals(ids, firstSeen, "publishes made while the broker was down must arrive in publish order after it is"
                + " back (" + ids.size() + " numbered 0.." + (ids.size() - 1) + ") — check that publishes waiting for the"
                + " connection are sent in the order they were made (CompletableFuture dependents run last-registered"
                + " first), including those resent after the reconnect");
    }

    /**
     * Headers of a crafted {@code v1.kit.pinged} with {@code id} and one partition key for all of the
     * outage's publishes: publish order is kept per partition key ({@link Headers#PARTITION_KEY}; a
     * partitioned transport such as Kafka spreads messages of different keys over its partitions, which
     * are read side by side), and a transport without partitions ignores it.
     *
     * @param id the message id
     * @return the headers
     */
    private static java.util.Map<String, String> ordered(String id) {
        java.util.Map<String, String> h = headersFor("v1.kit.pinged", id);
        h.put(Headers.PARTITION_KEY, "kit-outage");
        return h;
    }

    /**
     * Checks that events published while a group has no member online are kept across a broker restart and reach the member that joins afterwards.
     *
     */
    @RestartsBroker
    default void eventsPublishedWhileAGroupHasNoMemberOnlineReachTheMemberThatJoinsAfterARestart() {
        BrokerControl broker = requireBrokerControl("group retention across a restart needs one");
        Set<Integer> byFirst = ConcurrentHashMap.newKeySet();
        MessageBus first = start(bus("retained").instanceId("first").onEvent(Pinged.class, (e, ctx) -> byFirst.add(e.n())));
        MessageBus pub = start(bus("pub"));
        join(pub.publish(new Pinged(-1, "before")), patience());
        Await.until(patience(), () -> byFirst.contains(-1), () -> "the first member should handle an event");
        first.close();
        for (int i = 0; i < 20; i++) {
            join(pub.publish(new Pinged(i, "nobody online")), patience());
        }
        broker.restart();
        Set<Integer> bySecond = ConcurrentHashMap.newKeySet();
        start(bus("retained").instanceId("second").onEvent(Pinged.class, (e, ctx) -> bySecond.add(e.n())));
        Await.until(patience().multipliedBy(2), () -> bySecond.size() >= 20, () -> "events confirmed while the group"
                + " had no member online must survive a broker restart and reach the member that joins after it; got "
                + bySecond + " — check that the group's queue/session and its messages are durable (persistent"
                + " messages, durable queues, a persistent session whose subscriptions the broker restores)");
    }

    /**
     * Checks that a delivery received before a reconnect is stale afterwards (settling it fails) and the broker
     * delivers the message again, flagged redelivered; on a transport whose deliveries outlive reconnects
     * ({@link Capability#DELIVERIES_OUTLIVE_RECONNECTS}), {@link Kit#outlivesReconnect} instead.
     */
    @RestartsBroker
    default void aDeliveryFromBeforeAReconnectCannotBeSettledAndComesAgainFlagged() {
        BrokerControl broker = requireBrokerControl("a replaced connection needs a restart");
        Transport publisher = raw();
        Transport member = raw();
        Received got = new Received();
        member.subscribe(PINGED, "reconnect", 4, got);
        String id = publishPinged(publisher, 1, patience());
        Delivery before = got.await(id, 1, patience(), "check that a raw subscription receives events");
        broker.restart();
        if (has(Capability.DELIVERIES_OUTLIVE_RECONNECTS)) { // the rule's other form (Kafka keeps its partitions)
            Kit.outlivesReconnect(publisher, got, id, before, patience().multipliedBy(2), "a broker restart");
            return;
        }
        Delivery after = got.await(id, 2, patience().multipliedBy(2), "a message left unsettled when the connection"
                + " dropped must be delivered again once the transport has reconnected");
        assertTrue(after.redelivered(), "a message delivered again after a reconnect must be flagged redelivered()");
        assertInstanceOf(CourierException.class, failure(settle("ack of a delivery from before the reconnect",
                before::ack), patience()), "settling a delivery whose connection was replaced must fail (stale): it"
                + " reached no broker, and the message has come again");
        join(settle("ack", after::ack), patience());
        Await.stays(Duration.ofSeconds(1), () -> got.count(id) == 2, () -> "an acked redelivery came again");
    }
}
