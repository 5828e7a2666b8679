package dev.courier.amqp;

import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ShutdownSignalException;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Declares Courier's exchanges and queues, idempotently, with the arguments of the configured queue
 * type, and turns the broker's "inequivalent arg" refusal into an error naming the queue and the
 * argument. Every declaration uses a channel the caller throws away on failure (a refused
 * declaration closes its channel). Remembers what it declared on the current publishing connection
 * ({@link #ensure}), so a publish declares its queue once, not each time. Internal.
 */
final class Topology {
    private static final Pattern INEQUIVALENT = Pattern.compile("inequivalent arg '([^']+)' for (queue|exchange) '([^']+)'[^:]*:\\s*(.*)");

    private final Names names;
    private final AmqpTransport.QueueType queueType;
    private final Set<String> declared = ConcurrentHashMap.newKeySet();
    /** Every name declared, for tests that clean up after themselves. */
    private final Set<String> used = ConcurrentHashMap.newKeySet();

    Topology(Names names, AmqpTransport.QueueType queueType) {
        this.names = names;
        this.queueType = queueType;
    }

    Names names() {
        return names;
    }

    /**
     * Declares {@code name} with {@code declaration} through the publisher's connection, unless it was
     * declared since the last {@link #forgetDeclared()}.
     *
     * @throws RuntimeException a CourierException when refused, PublishTimeoutException when unreachable
     */
    void ensure(String name, Consumer<Channel> declaration, Publisher publisher, long deadlineNanos) {
        if (declared.contains(name)) {
            return;
        }
        publisher.declare(declaration, deadlineNanos);
        declared.add(name);
        used.add(name);
    }

    /** A new connection, or a channel error: everything is declared again when next used. */
    void forgetDeclared() {
        declared.clear();
    }

    /** @param name a queue a subscription reads, for {@link #used()} */
    void used(String name) {
        used.add(name);
    }

    /** @return every exchange and queue name declared so far */
    Set<String> used() {
        return used;
    }

    void declareExchanges(Channel ch) {
        run(() -> {
            ch.exchangeDeclare(names.eventsExchange(), BuiltinExchangeType.TOPIC, true);
            ch.exchangeDeclare(names.commandsExchange(), BuiltinExchangeType.DIRECT, true);
        }, names.eventsExchange() + " / " + names.commandsExchange());
    }

    /** A durable queue of the configured type. */
    void declareDurable(Channel ch, String queue) {
        run(() -> ch.queueDeclare(queue, true, false, false, durableArgs()), queue);
    }

    void declareEventQueue(Channel ch, String queue, String messageName) {
        declareDurable(ch, queue);
        run(() -> ch.queueBind(queue, names.eventsExchange(), messageName), queue);
    }

    void declareCommandQueue(Channel ch, String queue, String messageName) {
        declareDurable(ch, queue);
        run(() -> ch.queueBind(queue, names.commandsExchange(), messageName), queue);
    }

    /** The reply queue: exclusive to this connection, deleted with it; always classic. */
    void declareReplyQueue(Channel ch, String queue) {
        run(() -> ch.queueDeclare(queue, false, true, true, null), queue);
    }

    /**
     * One delay step: a fanout exchange and a TTL queue of the same name. Expired messages are
     * dead-lettered through the default exchange with their original routing key, which is the
     * target service queue's name, so they go back to that queue only.
     */
    void declareDelay(Channel ch, long millis) {
        String name = names.delay(millis);
        Map<String, Object> args = durableArgs();
        args.put("x-message-ttl", millis);
        args.put("x-dead-letter-exchange", "");
        if (queueType == AmqpTransport.QueueType.QUORUM) {
            args.put("x-dead-letter-strategy", "at-least-once");
            args.put("x-overflow", "reject-publish");
        }
        run(() -> {
            ch.exchangeDeclare(name, BuiltinExchangeType.FANOUT, true);
            ch.queueDeclare(name, true, false, false, args);
            ch.queueBind(name, name, "");
        }, name);
    }

    Map<String, Object> durableArgs() {
        Map<String, Object> args = new HashMap<>();
        if (queueType == AmqpTransport.QueueType.QUORUM) {
            args.put("x-queue-type", "quorum");
        }
        return args;
    }

    interface Io {
        void run() throws IOException;
    }

    private static void run(Io io, String what) {
        try {
            io.run();
        } catch (IOException e) {
            throw translate(e, what);
        } catch (ShutdownSignalException e) {
            throw translate(e, what);
        }
    }

    /** A clear exception for a refused declaration: a clash names queue and argument. */
    static RuntimeException translate(Exception e, String what) {
        Throwable t = e;
        while (t != null && !(t instanceof ShutdownSignalException)) {
            t = t.getCause();
        }
        String text = t != null ? String.valueOf(t.getMessage()) : String.valueOf(e.getMessage());
        Matcher m = INEQUIVALENT.matcher(text);
        if (m.find()) {
            return new ConfigurationException(m.group(2) + " '" + m.group(3) + "' already exists with a different '"
                    + m.group(1) + "' (" + m.group(4).replaceAll(",?\\s*class-id=.*$", "").replaceAll("\\W+$", "") + "). Delete the " + m.group(2)
                    + " (it may hold messages) or configure the same setting (queueType) as the service that made it");
        }
        return new CourierException("RabbitMQ refused to declare " + what + ": " + text, e);
    }
}
