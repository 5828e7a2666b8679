package dev.courier.bench.amqp;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.bench.OpenLoop;
import dev.courier.bench.Options;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.memory.InMemoryDeduplicationStore;

import java.time.Duration;

/**
 * The two sides of RabbitMQ for latency-under-load: Courier (the settings of amqp-latency) and the raw
 * amqp-client baseline ({@link RawAmqp}: same JSON, headers, persistence, confirm window and prefetch).
 */
public final class AmqpLoad {
    private AmqpLoad() {
    }

    /**
     * A connected Courier publisher and sink bus on a fresh namespace.
     *
     * @param o        --uri, --window (1000), --prefetch (1000), --concurrency (4)
     * @param receiver where the sink's handler hands each payload
     * @param messages how many messages the run will send in all (sizes the deduplication store)
     * @return the target; closing it deletes its queues and exchanges
     * @throws Exception when RabbitMQ cannot be reached
     */
    public static OpenLoop.Target courier(Options o, OpenLoop.Receiver receiver, int messages) throws Exception {
        int window = o.getInt("window", 1_000);
        String ns = AmqpBench.namespace("luc");
        MessageBus sink = MessageBus.builder("bench-sink").transport(AmqpBench.transport(o, ns, window))
                .deduplicationStore(InMemoryDeduplicationStore.of(messages + 1000, Duration.ofHours(1)))
                .retryPolicy(RetryPolicy.none()).concurrency(o.getInt("concurrency", 4))
                .prefetch(o.getInt("prefetch", 1_000))
                .onEvent(BenchPayload.class, (p, ctx) -> receiver.accept(p)).build().start();
        MessageBus pub = MessageBus.builder("bench-pub").transport(AmqpBench.transport(o, ns, window))
                .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) {
                pub.publish(payload);
            }

            @Override
            public void close() {
                pub.close();
                sink.close();
                AmqpBench.delete(o, AmqpBench.courierNames(ns));
            }
        };
    }

    /**
     * A connected raw amqp-client publisher and consumer on a fresh namespace.
     *
     * @param o        --uri, --window (1000), --prefetch (1000)
     * @param receiver where the consumer hands each payload
     * @return the target; closing it deletes its queue and exchange
     * @throws Exception when RabbitMQ cannot be reached
     */
    public static OpenLoop.Target raw(Options o, OpenLoop.Receiver receiver) throws Exception {
        RawAmqp raw = new RawAmqp(o, AmqpBench.namespace("lur"), o.getInt("window", 1_000), o.getInt("prefetch", 1_000));
        raw.consume(receiver::accept);
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) throws Exception {
                raw.publish(payload);
            }

            @Override
            public void close() {
                raw.close();
                AmqpBench.delete(o, raw.names());
            }
        };
    }
}
