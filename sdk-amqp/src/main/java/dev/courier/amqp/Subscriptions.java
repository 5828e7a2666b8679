package dev.courier.amqp;

import com.rabbitmq.client.Connection;
import dev.courier.spi.Address;
import dev.courier.spi.DeliveryCallback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The consumers of one transport: each attached on the consuming connection when it subscribes and
 * again on every new connection, declared again after a channel error, and forgotten when closed.
 * Internal.
 */
final class Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(AmqpTransport.class);

    private final AmqpTransport transport;
    private final List<AmqpSubscription> list = new CopyOnWriteArrayList<>();

    Subscriptions(AmqpTransport transport) {
        this.transport = transport;
    }

    /**
     * A new consumer, attached at once when the consuming connection is up (else on its next connect).
     *
     * @throws RuntimeException a CourierException when RabbitMQ refused the declaration or the consumer
     */
    AmqpSubscription add(Address address, String group, int prefetch, DeliveryCallback callback, Connection current) {
        Names names = transport.names();
        AmqpSubscription s = new AmqpSubscription(transport, address, group, names.queueOf(address, group), prefetch,
                callback);
        if (address.kind() == Address.Kind.REPLY) {
            transport.replies().watch(s, callback);
        }
        list.add(s);
        transport.topology().used(s.queue);
        if (current != null) {
            try {
                s.attach(current);
            } catch (RuntimeException e) {
                list.remove(s);
                throw e;
            }
        }
        log.debug("subscribed {} for group {} on queue {}", address, group, s.queue);
        return s;
    }

    /** A new consuming connection: every consumer attaches to it (one that fails tries again later). */
    void connected(Connection c) {
        for (AmqpSubscription s : list) {
            try {
                s.attach(c);
            } catch (RuntimeException e) {
                log.warn("re-attaching the consumer of {} after reconnect failed ({}); retrying", s.queue, e.getMessage());
                s.reattachLater(1);
            }
        }
    }

    /** After a channel error on publish (an exchange or queue was deleted?): declare everything again. */
    void redeclare() {
        transport.topology().forgetDeclared();
        Connection c = transport.consumeConnection();
        if (c == null) {
            return;
        }
        for (AmqpSubscription s : list) {
            try {
                AmqpConnections.withChannel(c, s::declare);
            } catch (RuntimeException e) {
                log.warn("declaring {} again failed: {}", s.queue, e.getMessage());
            }
        }
    }

    /** A closed subscription is not re-attached; its address and group may be subscribed again. */
    void forget(AmqpSubscription s) {
        list.remove(s);
    }

    /** Closes every consumer; sends nothing while the transport closes (its connection close cancels them). */
    void closeAll() {
        for (AmqpSubscription s : List.copyOf(list)) {
            s.close();
        }
        list.clear();
    }
}
