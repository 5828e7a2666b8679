package dev.courier.spi.support;

import dev.courier.spi.Address;
import dev.courier.spi.DelayedRedelivery;
import dev.courier.spi.Delivery;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Delayed redelivery for every delivery: the transport's own, or the core's fallback. */
public final class Redeliveries {
    private Redeliveries() {
    }

    /**
     * Brings {@code delivery} back to its group after {@code delay} with {@code headers}. A delivery
     * that is {@link DelayedRedelivery} does it itself. Otherwise the fallback: the delivery stays
     * unsettled for the delay (holding its consumer slot; a crash meanwhile makes the broker deliver
     * the original again), then a copy is published to the delivery's address and group through
     * {@code transport}, and the delivery is acked once the broker confirmed the copy. When the copy
     * fails, nothing was settled and the future fails.
     *
     * @param delivery  the delivery to bring back
     * @param headers   the headers of the copy
     * @param delay     how long until it comes back
     * @param transport publishes the fallback's copy
     * @param scheduler times the fallback's delay
     * @return completes once the copy is durable and the delivery settled; completes on the transport's
     *         or the scheduler's thread
     */
    public static CompletableFuture<Void> later(Delivery delivery, Map<String, String> headers, Duration delay,
                                                Transport transport, ScheduledExecutorService scheduler) {
        if (delivery instanceof DelayedRedelivery d) {
            return d.redeliverLater(headers, delay);
        }
        Address a = delivery.address();
        String group = delivery.group();
        Address back = a.kind() == Address.Kind.EVENT && group != null ? Address.event(a.name(), group) : a;
        CompletableFuture<Void> result = new CompletableFuture<>();
        Runnable copy = () -> {
            CompletableFuture<Void> sent;
            try {
                sent = transport.publish(back, headers, delivery.body());
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            sent.thenCompose(x -> delivery.ack()).whenComplete((x, e) -> {
                if (e == null) {
                    result.complete(null);
                } else {
                    result.completeExceptionally(e);
                }
            });
        };
        try {
            scheduler.schedule(copy, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new dev.courier.CourierException("cannot redeliver "
                    + delivery.headers().get(dev.courier.spi.Headers.ID) + " later: the bus is closing", e));
        }
        return result;
    }
}
