package dev.courier.amqp;

import dev.courier.PublishException;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Delayed redelivery the AMQP way: a TTL queue per delay step ({@code courier.delay.<millis>ms}, see
 * {@link Topology#declareDelay}) that dead-letters the copy back to the failing subscription's own queue
 * when its time is up. Internal.
 */
final class Delays {
    private final AmqpTransport transport;

    Delays(AmqpTransport transport) {
        this.transport = transport;
    }

    /**
     * Publishes a copy to the TTL queue of the delay step, mandatory, to come back to {@code queue}.
     *
     * @return completes on RabbitMQ's confirm; fails (never throws) when it cannot be stored
     */
    CompletableFuture<Void> publish(String queue, Map<String, String> headers, byte[] body, Duration delay) {
        TransportContext ctx = transport.context();
        Publisher publisher = transport.publisher();
        if (ctx == null || publisher == null || transport.isClosing()) {
            return CompletableFuture.failedFuture(new PublishException("AMQP transport is closed; cannot redeliver"));
        }
        long millis = Math.max(1, delay.toMillis());
        String name = transport.names().delay(millis);
        try {
            transport.topology().ensure(name, ch -> transport.topology().declareDelay(ch, millis), publisher,
                    System.nanoTime() + ctx.publishTimeout().toNanos());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        String what = "redelivery of " + headers.getOrDefault(Headers.ID, "(no id)") + " to " + queue + " in " + delay;
        return publisher.publish(name, queue, true, headers, body, what, ctx.publishTimeout(),
                transport.config().maxMessageSize());
    }
}
