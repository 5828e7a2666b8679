package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.TransportConnectException;
import dev.courier.MessageBus;
import dev.courier.PublishException;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gaps amqp-client's own recovery leaves, each covered without stopping the broker: a channel
 * closed by a channel error, a consumer cancelled because its queue was deleted, a first connect
 * that cannot succeed, and refused credentials.
 */
class AmqpRecoveryTest extends AmqpTestSupport {

    @Test
    void aPublishingChannelClosedByAChannelErrorIsReopenedAndTheTopologyDeclaredAgain() throws Exception {
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        // one bus publishes and consumes: its own binding is what it can declare again
        MessageBus pub = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> got.add(e.n())));
        pub.publish(new Pinged(1, "before")).get(20, TimeUnit.SECONDS);
        Await.until(Duration.ofSeconds(20), () -> got.contains(1), () -> "first event not handled");
        try (Connection c = RabbitBroker.connect()) {
            Channel ch = c.createChannel();
            ch.exchangeDelete(ns + ".courier.events"); // also drops the sink's binding
        }
        // the next publish hits the missing exchange (its delete has returned): RabbitMQ closes the channel
        // with 404, and the publish fails with it — it is never confirmed, and never left waiting
        ExecutionException lost = assertThrows(ExecutionException.class,
                () -> pub.publish(new Pinged(2, "into the void")).get(20, TimeUnit.SECONDS));
        assertInstanceOf(PublishException.class, lost.getCause(), lost.toString());
        assertTrue(lost.getCause().getMessage().contains("NOT_FOUND"), "says why: " + lost.getCause().getMessage());
        Await.until(Duration.ofSeconds(30), () -> {
            try {
                pub.publish(new Pinged(3, "after")).get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                return false;
            }
            return got.contains(3);
        }, () -> "publishing and the bus's own binding should come back by themselves; got " + got);
        assertTrue(pub.health().isHealthy(), pub.health().toString());
    }

    @Test
    void aConsumerCancelledBecauseItsQueueWasDeletedComesBack() throws Exception {
        Set<Integer> got = ConcurrentHashMap.newKeySet();
        MessageBus sink = start(bus("sink", transport()).onEvent(Pinged.class, (e, ctx) -> got.add(e.n())));
        MessageBus pub = start(bus("pub", transport()));
        try (Connection c = RabbitBroker.connect()) {
            c.createChannel().queueDelete(ns + ".sink.v1.kit.pinged");
        }
        Await.until(Duration.ofSeconds(30), () -> {
            try {
                pub.publish(new Pinged(got.size() + 100, "again")).get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                return false;
            }
            return !got.isEmpty();
        }, () -> "the consumer should declare its queue again and consume");
        Await.until(Duration.ofSeconds(10), () -> sink.health().isHealthy(), () -> "sink health " + sink.health());
    }

    @Test
    void aConnectionThatDropsRightAfterEachReconnectBacksOffMoreEachTime() {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i", Duration.ofSeconds(5)));
        java.util.List<Long> connectedAt = new java.util.ArrayList<>();
        for (int drop = 0; drop < 6; drop++) {
            int before = t.session().consumerConnects();
            t.session().dropConsumerConnection(); // something breaks the connection right after each connect
            Await.until(Duration.ofSeconds(30), () -> t.session().consumerConnects() > before, () -> "reconnects");
            connectedAt.add(System.nanoTime());
        }
        long lastGapMillis = (connectedAt.get(5) - connectedAt.get(4)) / 1_000_000;
        // pauses 100, 200, 400, 800, 1600, 3200 ms, each lowered by up to half: the sixth is over 1.6 s, never 100 ms again
        assertTrue(lastGapMillis >= 1_000, "the sixth reconnect came " + lastGapMillis + " ms after the fifth:"
                + " the backoff must keep growing while connections drop at once");
    }

    @Test
    void startKeepsRetryingTheFirstConnectThenFailsClearly() {
        AmqpTransport t = track(AmqpTransport.of(AmqpConfig.builder().addresses("127.0.0.1:1").startTimeout(Duration.ofMillis(800))
                .namespace(ns).build()));
        long t0 = System.nanoTime();
        TransportConnectException e = assertThrows(TransportConnectException.class,
                () -> t.start(new TransportContext("svc", "i", Duration.ofSeconds(5))));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(300), "it retried before giving up");
        assertTrue(e.getMessage().contains("127.0.0.1:1") && e.getMessage().contains("start timeout of PT0.8S"),
                e.getMessage());
    }

    @Test
    void withoutItsOwnStartTimeoutStartUsesTheBussStartTimeout() {
        AmqpTransport t = track(AmqpTransport.of(AmqpConfig.builder().addresses("127.0.0.1:1").namespace(ns).build()));
        long t0 = System.nanoTime();
        TransportConnectException e = assertThrows(TransportConnectException.class, () -> t.start(
                new TransportContext("svc", "i", Duration.ofSeconds(5)).withStartTimeout(Duration.ofMillis(700))));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(took >= 500 && took < 10_000, "gave up at the bus's start timeout, took " + took + " ms");
        assertTrue(e.getMessage().contains("start timeout of PT0.7S"), e.getMessage());
        assertFalse(t.isConnected());
    }

    @Test
    void anAddressListSkipsANodeThatIsDown() {
        String uri = RabbitBroker.uri();
        java.net.URI u = java.net.URI.create(uri);
        AmqpTransport t = track(AmqpTransport.of(AmqpConfig.builder().uri(uri).addresses("127.0.0.1:1", u.getHost() + ":"
                + (u.getPort() > 0 ? u.getPort() : 5672)).namespace(ns).build()));
        t.start(new TransportContext("svc", "i", Duration.ofSeconds(5)));
        assertTrue(t.isConnected(), t.describe());
        assertTrue(t.host().startsWith("127.0.0.1:1,"), t.host());
    }

    @Test
    void refusedCredentialsFailAtOnceWithoutThePassword() {
        String uri = RabbitBroker.uri().replaceFirst("//[^@/]*@", "//courier-nobody:wrong-secret@");
        AmqpTransport t = track(AmqpTransport.of(AmqpConfig.builder().uri(uri).namespace(ns).build()));
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> t.start(new TransportContext("svc", "i", Duration.ofSeconds(5))));
        assertTrue(e.getMessage().contains("courier-nobody") && !e.getMessage().contains("wrong-secret"), e.getMessage());
    }

    @Test
    void aPublishingChannelThatRabbitMqOnlyNacksIsReplaced() throws Exception {
        AmqpTransport t = transport();
        t.start(new TransportContext("svc", "i", Duration.ofSeconds(10)));
        String full = ns + ".always-full";
        try (Connection c = RabbitBroker.connect()) {
            Channel ch = c.createChannel();
            ch.queueDeclare(full, false, false, false, java.util.Map.of("x-max-length", 0, "x-overflow", "reject-publish"));
        }
        try {
            long before = t.publisher().channelGeneration();
            java.util.List<java.util.concurrent.CompletableFuture<Void>> nacked = new java.util.ArrayList<>();
            for (int i = 0; i < ConfirmChannel.NACKS_TO_REPLACE; i++) {
                nacked.add(t.publisher().publish("", full, false, java.util.Map.of(dev.courier.spi.Headers.ID, "n-" + i),
                        new byte[0], "nack " + i, Duration.ofSeconds(10), 1024));
            }
            for (java.util.concurrent.CompletableFuture<Void> f : nacked) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertTrue(e.getCause().getMessage().contains("nack"), e.getCause().toString());
            }
            Await.until(Duration.ofSeconds(10), () -> t.publisher().channelGeneration() > before,
                    () -> "a channel that only nacks should be replaced");
            t.publish(dev.courier.spi.Address.event("v1.kit.pinged"), java.util.Map.of(dev.courier.spi.Headers.ID, "after",
                    dev.courier.spi.Headers.TYPE, "v1.kit.pinged"), new byte[0]).get(10, TimeUnit.SECONDS);
        } finally {
            RabbitBroker.delete(java.util.List.of(full));
        }
    }
}
