package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Consumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * The amqp-client consumer of one subscription's channel: turns each delivery into an
 * {@link AmqpDelivery} and hands it to the bus without blocking; dead-letters at once what Courier
 * cannot carry ({@link Edge}, {@link EdgeDeadLetters}); notices a cancel by RabbitMQ (its queue was
 * deleted) and has the subscription declare and consume again. Runs on the connection's consumer
 * thread. Internal.
 */
final class Receiver implements Consumer {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final AmqpSubscription sub;
    private final Channel ch;
    private final Acks acks;

    Receiver(AmqpSubscription sub, Channel ch, Acks acks) {
        this.sub = sub;
        this.ch = ch;
        this.acks = acks;
    }

    @Override
    public void handleDelivery(String consumerTag, Envelope env, AMQP.BasicProperties props, byte[] body) {
        acks.delivered(env.getDeliveryTag()); // every delivery of the channel is settled through its Acks
        if (sub.isClosed()) {
            acks.reject(env.getDeliveryTag(), true); // (the channel's close gives it back too)
            return;
        }
        AmqpTransport transport = sub.transport();
        Map<String, String> headers = Wire.headers(props);
        sub.delivered();
        AmqpDelivery d = new AmqpDelivery(sub, ch, acks, env.getDeliveryTag(), headers, body, env.isRedeliver());
        Object dropped = props.getHeaders() == null ? null : props.getHeaders().get(HeaderFrame.DROPPED);
        if (dropped != null) {
            log.warn("message {} on queue {}: headers amqp-client could not have read were left out: {}",
                    Wire.shortened(headers.get(Headers.ID)), sub.queue, dropped);
        }
        String refusal = Edge.refusal(props, headers, transport.names(), transport.config().maxMessageSize());
        if (refusal != null) {
            transport.edge().refuse(sub, d, props, refusal);
            return;
        }
        if (sub.address.kind() == Address.Kind.REPLY) {
            transport.replies().arrived(headers);
        }
        try {
            sub.callback().onDelivery(d);
        } catch (RuntimeException e) {
            // amqp-client would close the channel for an exception thrown here; give the message back instead
            log.error("delivery callback failed on queue {}; message returned to the queue", sub.queue, e);
            d.reject(true);
        }
    }

    @Override
    public void handleCancel(String consumerTag) {
        if (ch != sub.channel()) {
            return;
        }
        sub.cancelled();
        log.warn("RabbitMQ cancelled the consumer of queue {} (deleted?); declaring it again and resuming", sub.queue);
        try {
            ch.abort();
        } catch (IOException | RuntimeException ignored) {
            // unacked messages of a deleted queue are gone anyway
        }
        sub.reattachLater(0);
    }

    @Override
    public void handleConsumeOk(String consumerTag) {
    }

    @Override
    public void handleCancelOk(String consumerTag) {
    }

    @Override
    public void handleShutdownSignal(String consumerTag, ShutdownSignalException sig) {
    }

    @Override
    public void handleRecoverOk(String consumerTag) {
    }
}
