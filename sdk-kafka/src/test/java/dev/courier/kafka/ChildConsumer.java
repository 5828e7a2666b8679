package dev.courier.kafka;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The consumer {@link KafkaFaultTest} kills mid-handler: it subscribes a group to an event and prints
 * {@code got <id>} for each delivery without ever settling it (a handler still running), until killed.
 * Arguments: bootstrap, prefix, event name, group.
 */
public final class ChildConsumer {
    private ChildConsumer() {
    }

    public static void main(String[] args) throws Exception {
        KafkaTransport t = KafkaTransport.of(KafkaConfig.builder(args[0]).prefix(args[1]).partitions(2).build());
        t.start(new TransportContext(args[3], "child", Duration.ofSeconds(15)));
        t.subscribe(Address.event(args[2]), args[3], 1000, d -> {
            System.out.println("got " + d.headers().get(Headers.ID));
            System.out.flush();
        });
        System.out.println("subscribed");
        System.out.flush();
        new CountDownLatch(1).await(); // a handler that never finishes: killed from outside
    }
}
