package dev.courier.amqp;

import dev.courier.PublishTimeoutException;
import dev.courier.kit.Await;
import dev.courier.kit.NetworkFault;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A broker that stops reading the publishing connection's socket, without closing it — what RabbitMQ
 * 3.10 does when a quorum-queue channel waits for a crashed leader node and the connection stays in
 * flow (see {@link AmqpClusterFaultTest}) — played by the kit's {@link NetworkFault} proxy
 * ({@link NetworkFault#blackhole()}), so the shared broker is not touched. {@code publish} must return
 * at once and its future fail within the publish timeout (it must never block its caller in a socket
 * write), and the transport must give the dead connection up and publish again once the broker reads.
 */
class AmqpStalledBrokerTest extends AmqpTestSupport {
    private static final String PINGED = "v1.kit.pinged";
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(2);
    /** Enough to fill the socket buffers on both sides of the proxy (a few MB each on loopback). */
    private static final int MESSAGES = 500;
    private static final byte[] BODY = new byte[64 * 1024];

    @Test
    void aBrokerThatStopsReadingNeitherBlocksPublishNorStopsTheTransportForGood() throws Exception {
        AmqpConfig direct = transportBuilder().build();
        String first = direct.addresses().get(0);
        int colon = first.lastIndexOf(':');
        try (NetworkFault fault = NetworkFault.to(new InetSocketAddress(first.substring(0, colon),
                Integer.parseInt(first.substring(colon + 1))))) {
            AmqpTransport publisher = track(AmqpTransport.of(direct.toBuilder()
                    .addresses(fault.address().getHostString() + ":" + fault.address().getPort()).build()));
            publisher.start(new TransportContext("stall", "p", PUBLISH_TIMEOUT));
            publisher.publish(Address.event(PINGED), headers("warm-up"), new byte[0]).get(20, TimeUnit.SECONDS);

            fault.blackhole();
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            AtomicLong longestCall = new AtomicLong();
            Thread caller = new Thread(() -> {
                for (int i = 0; i < MESSAGES; i++) {
                    long t0 = System.nanoTime();
                    futures.add(publisher.publish(Address.event(PINGED), headers("s-" + i), BODY));
                    longestCall.accumulateAndGet(System.nanoTime() - t0, Math::max);
                }
            }, "stalled-publisher");
            long start = System.nanoTime();
            caller.start();
            try {
                caller.join(Duration.ofSeconds(20).toMillis());
                assertTrue(!caller.isAlive(), "publish blocked its caller for "
                        + TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + " s: " + stack(caller));
            } finally {
                if (caller.isAlive()) {
                    fault.heal(); // unblock the old code's caller, so that the test ends
                    caller.join(30_000);
                }
            }
            long longest = TimeUnit.NANOSECONDS.toMillis(longestCall.get());
            assertTrue(longest <= PUBLISH_TIMEOUT.toMillis() + 1_000, "one publish call took " + longest
                    + " ms, over the publish timeout of " + PUBLISH_TIMEOUT);
            for (CompletableFuture<Void> f : futures) {
                try {
                    f.get(PUBLISH_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    assertInstanceOf(PublishTimeoutException.class, e.getCause());
                }
            }

            fault.heal();
            Await.until(Duration.ofSeconds(60), () -> {
                try {
                    publisher.publish(Address.event(PINGED), headers("after"), new byte[0]).get(10, TimeUnit.SECONDS);
                    return true;
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    return false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, () -> "no publish was confirmed after the broker read again: " + publisher.describe());
            assertTrue(fault.accepted() >= 2, "the stalled connection should have been replaced; connections accepted: "
                    + fault.accepted());
        }
    }

    private static Map<String, String> headers(String id) {
        return Map.of(Headers.ID, id, Headers.TYPE, PINGED);
    }

    private static String stack(Thread t) {
        StringBuilder b = new StringBuilder();
        for (StackTraceElement e : t.getStackTrace()) {
            b.append("\n\tat ").append(e);
        }
        return b.toString();
    }
}
