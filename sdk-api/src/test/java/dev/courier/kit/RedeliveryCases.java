package dev.courier.kit;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;

import java.time.Duration;

import static dev.courier.kit.Kit.PINGED;
import static dev.courier.kit.Kit.join;
import static dev.courier.kit.Kit.publishPinged;
import static dev.courier.kit.Kit.settle;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Delivery#redelivered()} and what a completed {@link Delivery#ack()} means (issue 12): a
 * message the broker delivers again is flagged, a first delivery is not; an ack whose future
 * completed before the transport closed is never undone.
 */
public interface RedeliveryCases extends KitHarness {

    /**
     * Checks that {@code reject(true)} brings the message back to the group, flagged redelivered.
     *
     */
    @KitCase
    default void aMessageGivenBackWithRejectComesAgainFlaggedRedelivered() {
        Transport t = raw();
        Received got = new Received();
        t.subscribe(PINGED, "flag", 4, got);
        String id = publishPinged(t, 1, patience());
        Delivery first = got.await(id, 1, patience(), "check that a raw subscription receives events");
        assertFalse(first.redelivered(), "a message delivered for the first time must not be flagged redelivered");
        join(settle("reject(true)", () -> first.reject(true)), patience());
        Delivery again = got.await(id, 2, patience(), "reject(true) must deliver the message again");
        assertTrue(again.redelivered(), "a message given back with reject(true) and delivered again must be flagged"
                + " redelivered() — check that the transport sets the flag when it (or the broker) delivers a message"
                + " it delivered before (AMQP: the redelivered bit; MQTT: the DUP flag or a mark on the copy it"
                + " republishes; WebSocket: the hub's flag)");
        assertArrayEquals(first.body(), again.body(), "the redelivered body must be the original bytes");
        assertEquals(first.headers().get(Headers.ID), again.headers().get(Headers.ID));
        join(settle("ack", again::ack), patience());
    }

    /**
     * Checks that deliveries a member left unsettled when its transport closed come again to the group, flagged redelivered.
     *
     */
    @KitCase
    default void unsettledMessagesOfAMemberThatLeftComeAgainFlaggedRedelivered() {
        Transport publisher = raw();
        Transport leaving = raw();
        Received got = new Received();
        leaving.subscribe(PINGED, "went-away", 4, got);
        String id = publishPinged(publisher, 1, patience());
        assertFalse(got.await(id, 1, patience(), "check that a raw subscription receives events").redelivered(),
                "a message delivered for the first time must not be flagged redelivered");
        leaving.close();
        Received next = new Received(Delivery::ack);
        raw().subscribe(PINGED, "went-away", 4, next);
        Delivery again = next.await(id, 1, patience(), "a message left unsettled by a member whose transport closed"
                + " must reach the group's next member — check that close() gives unsettled deliveries back");
        assertTrue(again.redelivered(), "a message delivered before to a member that left unsettled must be flagged"
                + " redelivered() when it comes again — check the redelivered bit / DUP flag / the mark on a"
                + " message moved from a closed member's session");
    }

    /**
     * Checks that an ack whose future completed before {@code close()} is never undone: the message does not come again.
     *
     */
    @KitCase
    default void anAckCompletedBeforeTheTransportClosedIsNeverUndone() {
        Transport publisher = raw();
        Transport leaving = raw();
        Received got = new Received();
        leaving.subscribe(PINGED, "acked", 4, got);
        String acked = publishPinged(publisher, 1, patience());
        String unsettled = publishPinged(publisher, 2, patience());
        Delivery a = got.await(acked, 1, patience(), "check that a raw subscription receives events");
        got.await(unsettled, 1, patience(), "check that a raw subscription receives events");
        join(settle("ack", a::ack), patience());
        leaving.close();
        Received next = new Received(Delivery::ack);
        raw().subscribe(PINGED, "acked", 4, next);
        next.await(unsettled, 1, patience(), "the unsettled message must reach the group's next member (this shows"
                + " the next member would get a message that was not acked)");
        Await.stays(Duration.ofSeconds(1), () -> next.count(acked) == 0, () -> "a message whose ack() future had"
                + " completed before the transport closed came again — a completed ack means the acknowledgement was"
                + " handed to the live connection ahead of the close: check that ack() completes only after the"
                + " acknowledgement is written (or queued before the disconnect), and that close() flushes it");
    }
}
