package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.GetResponse;
import dev.courier.CourierException;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Headers;
import dev.courier.spi.RawMessage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A service's dead-letter queue, read without consuming: messages are fetched unacknowledged on a
 * throw-away channel and go back, in their order, when it closes; {@link #remove} acks only the
 * one it looks for. Dead letters are durable and persistent and stay until removed. Internal.
 */
final class AmqpDeadLetters implements DeadLetterChannel {
    private final AmqpTransport transport;
    private final String queue;

    AmqpDeadLetters(AmqpTransport transport, String queue) {
        this.transport = transport;
        this.queue = queue;
    }

    @Override
    public List<RawMessage> browse(int max) {
        List<RawMessage> out = new ArrayList<>();
        withAdminChannel(ch -> {
            long count = depth(ch);
            for (long i = 0; i < Math.min(max, count); i++) {
                GetResponse r = get(ch);
                if (r == null) {
                    break;
                }
                out.add(new RawMessage(Wire.headers(r.getProps()), r.getBody()));
            }
        });
        return out;
    }

    @Override
    public boolean remove(String messageId) {
        AtomicBoolean removed = new AtomicBoolean();
        withAdminChannel(ch -> {
            long count = depth(ch);
            for (long i = 0; i < count; i++) {
                GetResponse r = get(ch);
                if (r == null) {
                    break;
                }
                AMQP.BasicProperties p = r.getProps();
                if (messageId.equals(Wire.headers(p).get(Headers.ID))) {
                    try {
                        ch.basicAck(r.getEnvelope().getDeliveryTag(), false);
                    } catch (IOException e) {
                        throw new CourierException("could not remove dead letter " + messageId + " from " + queue, e);
                    }
                    removed.set(true);
                    break;
                }
            }
        });
        return removed.get();
    }

    /** Runs reads on a throw-away channel of the publishing connection, waiting up to the publish timeout. */
    private void withAdminChannel(java.util.function.Consumer<Channel> work) {
        transport.requireOpen();
        com.rabbitmq.client.Connection c = transport.session().pubLink.reconnector().await(System.nanoTime()
                + transport.context().publishTimeout().toNanos());
        if (c == null) {
            throw new dev.courier.PublishTimeoutException("RabbitMQ at " + transport.config().redactedUri()
                    + " unreachable for the publish timeout");
        }
        AmqpConnections.withChannel(c, work);
    }

    private long depth(Channel ch) {
        try {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (IOException e) {
            return -1; // no such queue: no dead letters (and the channel is closed)
        }
    }

    private GetResponse get(Channel ch) {
        try {
            return ch.basicGet(queue, false);
        } catch (IOException e) {
            throw new CourierException("could not read the dead-letter queue " + queue + ": " + AmqpConnections.describe(e), e);
        }
    }
}
