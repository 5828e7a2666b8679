package dev.courier.kit;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Small helpers the kit's cases share. */
public final class Kit {
    private Kit() {
    }

    /**
     * The CloudEvents headers of a crafted message of {@code type} with {@code id}.
     *
     * @param type the CloudEvents {@code type}
     * @param id the CloudEvents {@code id}
     * @return a new, mutable map with id, source, type, specversion, datacontenttype and time
     */
    public static Map<String, String> headersFor(String type, String id) {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, "kit");
        h.put(Headers.TYPE, type);
        h.put(Headers.SPECVERSION, "1.0");
        h.put(Headers.DATACONTENTTYPE, "application/json");
        h.put(Headers.TIME, java.time.Instant.now().toString());
        return h;
    }

    /**
     * UTF-8 bytes of {@code s}.
     *
     * @param s the text
     * @return its UTF-8 encoding
     */
    public static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The future's value, or an AssertionError when it fails or does not complete within {@code patience}.
     *
     * @param <T> the value's type
     * @param f the future
     * @param patience the longest wait
     * @return the value
     */
    public static <T> T join(CompletableFuture<T> f, Duration patience) {
        try {
            return f.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("future did not complete normally within " + patience + ": " + e, e);
        }
    }

    /**
     * The failure of {@code f} (unwrapped), or an AssertionError when it completes normally or not in time.
     *
     * @param f the future expected to fail
     * @param patience the longest wait
     * @return the cause the future failed with
     */
    public static Throwable failure(CompletableFuture<?> f, Duration patience) {
        try {
            f.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("future did not fail within " + patience + ": " + e, e);
        }
        throw new AssertionError("future completed normally; a failure was expected");
    }

    /** The event address the raw-transport cases use ({@code v1.kit.pinged}). */
    public static final Address PINGED = Address.event("v1.kit.pinged");

    /**
     * Publishes a crafted {@code v1.kit.pinged} with a new id and {@code n} in its body; returns the id once confirmed.
     *
     * @param t a started transport
     * @param n the body's number
     * @param patience the longest wait
     * @return the message id
     */
    public static String publishPinged(Transport t, int n, Duration patience) {
        String id = UUID.randomUUID().toString();
        join(t.publish(PINGED, headersFor("v1.kit.pinged", id), json("{\"n\":" + n + ",\"text\":\"kit\"}")), patience);
        return id;
    }

    /**
     * Calls a settle method, turning a thrown exception into an AssertionError (settling never throws).
     *
     * @param what names the call in the failure message
     * @param call the settle call
     * @return the future the call returned
     */
    public static CompletableFuture<Void> settle(String what, java.util.function.Supplier<CompletableFuture<Void>> call) {
        try {
            CompletableFuture<Void> f = call.get();
            if (f == null) {
                throw new AssertionError(what + " returned null instead of a future");
            }
            return f;
        } catch (RuntimeException e) {
            throw new AssertionError(what + " threw " + e + "; settling must return a future (failed if need be),"
                    + " never throw", e);
        }
    }

    /**
     * The delivery's own delayed redelivery: every Courier transport's deliveries have it
     * ({@link dev.courier.spi.DelayedRedelivery}); the kit fails a transport whose deliveries lack it.
     *
     * @param d       a delivery
     * @param headers the copy's headers
     * @param delay   the delay
     * @return the delivery's future
     */
    public static java.util.concurrent.CompletableFuture<Void> later(dev.courier.spi.Delivery d,
            java.util.Map<String, String> headers, java.time.Duration delay) {
        if (!(d instanceof dev.courier.spi.DelayedRedelivery r)) {
            throw new AssertionError("deliveries of this transport do not implement DelayedRedelivery: " + d.getClass());
        }
        return r.redeliverLater(headers, delay);
    }

    /**
     * The rule for a delivery received before a reconnect, on a transport whose deliveries outlive reconnects
     * ({@link dev.courier.spi.Capability#DELIVERIES_OUTLIVE_RECONNECTS}): once the subscription works again,
     * settling the old delivery either takes effect (and the message does not come again) or, if the transport
     * lost what it was given meanwhile (a rebalance), fails with {@link dev.courier.spi.StaleDeliveryException}
     * and the message comes again. Never both, never neither: nothing lost, nothing settled twice.
     *
     * @param publisher a started transport to publish a probe with
     * @param got what the subscription received
     * @param id the message of {@code before}
     * @param before the delivery received before the reconnect
     * @param patience the longest wait for each step
     * @param fault what happened, for messages ("a cut connection", "a broker restart")
     */
    public static void outlivesReconnect(Transport publisher, Received got, String id, dev.courier.spi.Delivery before,
                                         Duration patience, String fault) {
        String probe = publishPinged(publisher, 2, patience);
        dev.courier.spi.Delivery p = got.await(probe, 1, patience, "the subscription must work again after " + fault);
        join(settle("ack of the probe", p::ack), patience);
        CompletableFuture<Void> ack = settle("ack of a delivery from before " + fault, before::ack);
        Throwable failed = Await.upTo(patience, ack::isDone) && ack.isCompletedExceptionally() ? failure(ack, Duration.ZERO)
                : null;
        if (!ack.isDone()) {
            throw new AssertionError("an ack of a delivery from before " + fault + " must complete (take effect) or fail"
                    + " stale within " + patience);
        }
        if (failed == null) {
            Await.stays(Duration.ofSeconds(1), () -> got.count(id) == 1, () -> "the message came " + got.count(id)
                    + " times: an ack of a delivery that outlived " + fault + " took effect, so it must not come again");
        } else {
            if (!(failed instanceof dev.courier.spi.StaleDeliveryException)) {
                throw new AssertionError("an ack of a delivery from before " + fault + " that cannot take effect must fail"
                        + " with StaleDeliveryException, not " + failed, failed);
            }
            dev.courier.spi.Delivery again = got.await(id, 2, patience, "a delivery whose ack failed stale after " + fault
                    + " must come again");
            join(settle("ack of the message that came again", again::ack), patience);
        }
        CompletableFuture<Void> second = settle("a second ack of the delivery from before " + fault, before::ack);
        if (!Await.upTo(patience, second::isDone)) {
            throw new AssertionError("a second settle must complete (it sends nothing)");
        }
    }
}
