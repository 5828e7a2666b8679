package dev.courier.amqp;

import dev.courier.kit.Await;
import dev.courier.kit.NetworkFault;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Publish order across an outage, without touching the shared broker: the publisher reaches RabbitMQ
 * through the kit's {@link NetworkFault} proxy, which cuts the connection in the middle of a stream
 * and refuses new ones for a while. Messages unconfirmed at the cut are sent again, and messages
 * published during the outage wait for the new connection: all of them arrive, first arrivals in
 * publish order (repeats of resent messages aside).
 */
class AmqpOutageOrderTest extends AmqpTestSupport {
    private static final String PINGED = "v1.kit.pinged";

    @Test
    void publishesAroundAnOutageArriveInPublishOrder() throws Exception {
        AmqpTransport consumer = transport();
        consumer.start(new TransportContext("order", "c", Duration.ofSeconds(20)));
        List<String> arrivals = new CopyOnWriteArrayList<>();
        consumer.subscribe(Address.event(PINGED), "order", 256, d -> {
            arrivals.add(d.headers().get(Headers.ID));
            d.ack();
        });
        AmqpConfig direct = transportBuilder().build();
        String first = direct.addresses().get(0);
        int colon = first.lastIndexOf(':');
        try (NetworkFault fault = NetworkFault.to(new InetSocketAddress(first.substring(0, colon),
                Integer.parseInt(first.substring(colon + 1))))) {
            AmqpTransport publisher = track(AmqpTransport.of(direct.toBuilder()
                    .addresses(fault.address().getHostString() + ":" + fault.address().getPort()).build()));
            publisher.start(new TransportContext("order", "p", Duration.ofSeconds(20)));
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                if (i == 100) {
                    fault.refuse(); // cut mid-stream; reconnects are refused for a while
                }
                if (i == 200) {
                    fault.accept();
                }
                futures.add(publisher.publish(Address.event(PINGED), Map.of(Headers.ID, "o-" + i, Headers.TYPE,
                        PINGED), new byte[0]));
            }
            CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(30), () -> new LinkedHashSet<>(arrivals).size() == 300,
                () -> "all 300 arrive; got " + new LinkedHashSet<>(arrivals).size());
        Set<String> firsts = new LinkedHashSet<>(arrivals);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            expected.add("o-" + i);
        }
        assertEquals(expected, new ArrayList<>(firsts), "first arrivals in publish order");
    }
}
