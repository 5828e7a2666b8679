package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coalesced acks ({@link Acks}) against RabbitMQ: settling out of order, with rejects between acks, must
 * leave exactly the unsettled messages on the queue and never make RabbitMQ close the channel (a
 * multiple ack of a tag it no longer holds is PRECONDITION_FAILED; an ack of N that covered an earlier
 * unsettled M would lose M).
 */
class AmqpAckCoalescingTest extends AmqpTestSupport {
    private static final Address PINGED = Address.event("v1.kit.pinged");

    private AmqpTransport started(String instance) {
        AmqpTransport t = transport();
        t.start(new TransportContext("acks", instance, Duration.ofSeconds(10)));
        return t;
    }

    private static List<String> publish(AmqpTransport t, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = "m" + i + "-" + System.nanoTime();
            Map<String, String> h = new HashMap<>(Map.of(Headers.ID, id, Headers.TYPE, "v1.kit.pinged"));
            t.publish(PINGED, h, "{}".getBytes()).get(10, TimeUnit.SECONDS);
            ids.add(id);
        }
        return ids;
    }

    /** What is left on the queue once nobody consumes it: ids, each taken and acked. */
    private static Set<String> leftOn(String queue) throws Exception {
        Set<String> left = new TreeSet<>();
        try (Connection c = RabbitBroker.connect(); Channel ch = c.createChannel()) {
            GetResponse r;
            while ((r = ch.basicGet(queue, false)) != null) {
                left.add(r.getProps().getMessageId());
                ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
            }
        }
        return left;
    }

    private static Delivery byId(List<Delivery> got, String id) {
        return got.stream().filter(d -> id.equals(d.headers().get(Headers.ID))).findFirst().orElseThrow();
    }

    @Test
    void outOfOrderAcksLeaveTheEarlierUnsettledMessageOnTheQueue() throws Exception {
        AmqpTransport t = started("ooo");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        AmqpSubscription sub = (AmqpSubscription) t.subscribe(PINGED, "acks", 64, got::add);
        Channel channel = sub.channel();
        List<String> ids = publish(t, 6);
        Await.until(Duration.ofSeconds(10), () -> got.size() == 6, () -> "6 deliveries, got " + got.size());
        // 0 and 3 stay unsettled; the acks after each of them must not ack them
        for (int i : new int[] {5, 2, 4, 1}) {
            byId(got, ids.get(i)).ack().get(10, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(10), () -> sub.acks().waiting() == 0, () -> "the held acks go out by themselves");
        assertSame(channel, sub.channel(), "RabbitMQ kept the channel (no unknown delivery tag)");
        assertTrue(sub.isActive());
        t.close(); // gives back what is unsettled
        assertEquals(new TreeSet<>(List.of(ids.get(0), ids.get(3))), leftOn(t.names().queueOf(PINGED, "acks")));
    }

    @Test
    void rejectsBetweenAcksStayRejectsOfTheirOwnMessage() throws Exception {
        AmqpTransport t = started("rej");
        List<Delivery> got = new CopyOnWriteArrayList<>();
        AmqpSubscription sub = (AmqpSubscription) t.subscribe(PINGED, "acks", 64, got::add);
        Channel channel = sub.channel();
        List<String> ids = publish(t, 6);
        Await.until(Duration.ofSeconds(10), () -> got.size() == 6, () -> "6 deliveries, got " + got.size());
        byId(got, ids.get(0)).ack().get(10, TimeUnit.SECONDS);
        byId(got, ids.get(1)).reject(false).get(10, TimeUnit.SECONDS); // dropped
        byId(got, ids.get(3)).ack().get(10, TimeUnit.SECONDS);
        byId(got, ids.get(2)).reject(true).get(10, TimeUnit.SECONDS); // back to the queue: delivered again
        byId(got, ids.get(5)).ack().get(10, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(10), () -> got.size() == 7, () -> "the requeued message comes again");
        Delivery again = got.get(6);
        assertEquals(ids.get(2), again.headers().get(Headers.ID));
        assertTrue(again.redelivered());
        again.ack().get(10, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(10), () -> sub.acks().waiting() == 0, () -> "the held acks go out by themselves");
        assertSame(channel, sub.channel(), "RabbitMQ kept the channel (no unknown delivery tag)");
        t.close();
        assertEquals(Set.of(ids.get(4)), leftOn(t.names().queueOf(PINGED, "acks")),
                "only the unsettled message is left: the dropped one is gone, the requeued one was acked");
    }
}
