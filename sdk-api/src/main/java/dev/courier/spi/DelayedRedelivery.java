package dev.courier.spi;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An optional ability of a {@link Delivery}: the transport can bring a message back after a delay
 * by itself (a TTL queue on RabbitMQ, a retry topic on MQTT, the hub's timer). A delivery without it
 * gets the core's fallback ({@link dev.courier.spi.support.Redeliveries#later}): the delivery stays
 * unsettled for the delay (it holds its consumer slot), then a copy with the new headers is
 * published to the same group and the delivery is acked — safe across a crash (the broker delivers
 * the unsettled original again), but it keeps a slot busy, so a transport with a native delay
 * should implement this.
 */
public interface DelayedRedelivery {

    /**
     * Brings the message back to this group only, with {@code headers} instead of the original
     * ones, after {@code delay}, and settles this delivery once that is durable. The consumer slot
     * is free meanwhile: no thread waits for the delay. When the future fails, nothing was settled:
     * the claim is given back and the caller may still settle the delivery (the bus then rejects it
     * with requeue).
     *
     * <p>Thread: may be called from any thread; the future completes on the calling
     * thread or a thread of the transport (the one that hands the settlement to the connection), or
     * is already complete when returned (a repeated settle, a stale delivery, in memory).
     *
     * @param headers the headers of the copy that comes back (the bus adds its redelivery count);
     *                never null
     * @param delay   how long until the copy is delivered again; zero or positive
     * @return a future that completes normally (with null) once the delayed copy is durable and this
     *         delivery settled, or exceptionally (a {@link dev.courier.CourierException}: stale, broker
     *         refused, publish timeout) with nothing settled
     */
    CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay);
}
