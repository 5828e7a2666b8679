package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Dead-letters a delivery Courier cannot carry (see {@link Edge}) without handing it to the bus, then
 * acks it. If the dead letter cannot be stored, it is tried again a few times with growing pauses,
 * then the delivery goes back to the queue (ERROR): it is never dropped. Internal.
 */
final class EdgeDeadLetters {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);
    private static final int RETRIES = 3;

    private final AmqpTransport transport;

    EdgeDeadLetters(AmqpTransport transport) {
        this.transport = transport;
    }

    void refuse(AmqpSubscription sub, AmqpDelivery d, AMQP.BasicProperties props, String reason) {
        TransportContext ctx = transport.context();
        String id = d.headers().getOrDefault(Headers.ID, "(no id)");
        log.warn("message {} on queue {} cannot be carried by Courier and is dead-lettered at once: {}",
                id.length() > 80 ? id.substring(0, 80) + "…" : id, sub.queue, reason);
        Map<String, String> h = Edge.deadLetter(d.headers(), props, reason, sub.address, ctx.service());
        byte[] body = props.getHeaders() != null && props.getHeaders().containsKey(HeaderFrame.BODY_BYTES)
                ? new byte[0] : d.body();
        store(d, h, body, ctx, 0);
    }

    private void store(AmqpDelivery d, Map<String, String> headers, byte[] body, TransportContext ctx, int attempt) {
        String queue = transport.names().deadLetterQueue(ctx.service());
        String what = "dead letter of " + Wire.shortened(headers.get(Headers.ID));
        Publisher publisher = transport.publisher();
        CompletableFuture<Void> f;
        try {
            Topology topology = transport.topology();
            topology.ensure(queue, ch -> topology.declareDurable(ch, queue), publisher,
                    System.nanoTime() + ctx.publishTimeout().toNanos());
            Map<String, String> h = Edge.fitted(headers, m -> publisher.frameProblem(Wire.properties(m, true), m,
                    body.length) == null);
            f = publisher.publish("", queue, true, Wire.properties(h, true), body, what, ctx.publishTimeout());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((x, e) -> {
            if (e == null) {
                d.ack();
                return;
            }
            if (attempt < RETRIES && !transport.isClosing()) {
                long pause = (500L << attempt) + ThreadLocalRandom.current().nextLong(250);
                log.warn("could not store the {} ({}); trying again in {} ms", what, e.getMessage(), pause);
                try {
                    transport.scheduler().schedule(() -> store(d, headers, body, ctx, attempt + 1), pause,
                            TimeUnit.MILLISECONDS);
                    return;
                } catch (RejectedExecutionException closed) {
                    // closing: give it back below
                }
            }
            log.error("could not store the {} ({}); the message goes back to its queue", what, e.getMessage());
            d.reject(true);
        });
    }
}
