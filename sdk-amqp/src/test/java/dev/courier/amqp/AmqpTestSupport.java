package dev.courier.amqp;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.kit.KitMessages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A namespace per test, buses on their own transports, and clean-up of everything they declared. */
abstract class AmqpTestSupport {
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final AtomicInteger SEQ = new AtomicInteger();

    protected String ns;
    protected final List<AmqpTransport> transports = new CopyOnWriteArrayList<>();
    protected final List<MessageBus> buses = new CopyOnWriteArrayList<>();

    @BeforeEach
    void namespace() {
        RabbitBroker.uri();
        ns = "at" + RUN + "x" + SEQ.incrementAndGet();
    }

    @AfterEach
    void cleanUp() {
        for (MessageBus b : buses) {
            try {
                b.close();
            } catch (RuntimeException ignored) {
                // keep cleaning
            }
        }
        Set<String> names = new TreeSet<>();
        for (AmqpTransport t : transports) {
            t.close();
            names.addAll(t.knownNames());
        }
        RabbitBroker.delete(names);
    }

    protected AmqpConfig.Builder transportBuilder() {
        return AmqpConfig.builder().uri(RabbitBroker.uri()).namespace(ns);
    }

    protected AmqpTransport transport() {
        return track(AmqpTransport.of(transportBuilder().build()));
    }

    protected AmqpTransport track(AmqpTransport t) {
        transports.add(t);
        return t;
    }

    protected MessageBus.Builder bus(String service, AmqpTransport t) {
        return MessageBus.builder(service).transport(t)
                .retryPolicy(RetryPolicy.custom().maxAttempts(2).initialBackoff(Duration.ofMillis(10)).jitter(0.0)
                        .redeliveryDelays(Duration.ofMillis(300)).build())
                .publishTimeout(Duration.ofSeconds(20))
                .closeTimeout(Duration.ofSeconds(10))
                .produces(KitMessages.Pinged.class, KitMessages.Ping.class, KitMessages.Hop.class);
    }

    protected MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        bus.start();
        return bus;
    }
}
