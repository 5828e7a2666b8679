package dev.courier.testing;

import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportSubscription;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A transport that behaves like a strict broker in front of another one: it states {@link #limits}
 * and refuses publishes that break them (as a broker refuses an oversized frame), refuses dead
 * letters on demand, fails {@code redeliverLater} on demand, and records every delay the bus asks
 * for — running the first {@link #shortenFirst} of them after 1 ms so a test need not wait.
 */
public class FaultyTransport extends ForwardingTransport {
    /** Stated by limits() and enforced on publish when set. */
    public volatile Limits limits;
    /** Dead letters whose headers match are refused. */
    public volatile Predicate<Map<String, String>> refuseDeadLetter = h -> false;
    /** Makes every Delivery.redeliverLater fail. */
    public volatile boolean failRedeliverLater;
    /** How many redeliverLater delays run after 1 ms; later ones wait for real. */
    public volatile int shortenFirst = Integer.MAX_VALUE;
    /** Every delay redeliverLater was asked for, in order. */
    public final List<Duration> requestedDelays = new CopyOnWriteArrayList<>();
    /** Dead letters this transport refused. */
    public final List<Map<String, String>> refusedDeadLetters = new CopyOnWriteArrayList<>();

    public FaultyTransport(Transport delegate) {
        super(delegate);
    }

    @Override
    public Limits limits() {
        return limits != null ? limits : super.limits();
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        if (to.kind() == Address.Kind.DEAD_LETTER && refuseDeadLetter.test(headers)) {
            refusedDeadLetters.add(Map.copyOf(headers));
            return CompletableFuture.failedFuture(new PublishException("the dead-letter channel refused it (test)"));
        }
        Limits l = limits;
        if (l != null) {
            String broken = broken(l, headers, body);
            if (broken != null) {
                if (to.kind() == Address.Kind.DEAD_LETTER) {
                    refusedDeadLetters.add(Map.copyOf(headers));
                }
                return CompletableFuture.failedFuture(new PublishException("broker refused the message: " + broken));
            }
        }
        return super.publish(to, headers, body);
    }

    private static String broken(Limits l, Map<String, String> headers, byte[] body) {
        long total = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            int v = e.getValue().getBytes(StandardCharsets.UTF_8).length;
            int max = Limits.ATTRIBUTES.contains(e.getKey()) ? l.maxAttributeBytes() : l.maxHeaderValueBytes();
            if (v > max) {
                return "header " + e.getKey() + " has " + v + " bytes";
            }
            total += e.getKey().getBytes(StandardCharsets.UTF_8).length + v;
        }
        if (total > l.maxHeadersBytes()) {
            return "headers have " + total + " bytes";
        }
        return body.length > l.maxBodyBytes() ? "body has " + body.length + " bytes" : null;
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        return super.subscribe(address, group, prefetch, d -> callback.onDelivery(new Faulty(d)));
    }

    private final class Faulty implements Delivery, dev.courier.spi.DelayedRedelivery {
        private final Delivery d;

        Faulty(Delivery d) {
            this.d = d;
        }

        @Override
        public Address address() {
            return d.address();
        }

        @Override
        public String group() {
            return d.group();
        }

        @Override
        public Map<String, String> headers() {
            return d.headers();
        }

        @Override
        public byte[] body() {
            return d.body();
        }

        @Override
        public boolean redelivered() {
            return d.redelivered();
        }

        @Override
        public CompletableFuture<Void> ack() {
            return d.ack();
        }

        @Override
        public CompletableFuture<Void> reject(boolean requeue) {
            return d.reject(requeue);
        }

        @Override
        public CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay) {
            if (failRedeliverLater) {
                return CompletableFuture.failedFuture(new PublishException("redelivery could not be scheduled (test)"));
            }
            requestedDelays.add(delay);
            return ((dev.courier.spi.DelayedRedelivery) d).redeliverLater(headers, requestedDelays.size() <= shortenFirst ? Duration.ofMillis(1) : delay);
        }
    }
}
