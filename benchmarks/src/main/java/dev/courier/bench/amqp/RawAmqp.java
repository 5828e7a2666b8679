package dev.courier.bench.amqp;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.BuiltinExchangeType;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.LongString;
import dev.courier.bench.Options;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.spi.JsonPayloadCodec;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * The raw amqp-client baseline: the same Jackson encoding and the same CloudEvents headers as
 * Courier, persistent messages, a topic exchange and a durable queue, asynchronous publisher
 * confirms with the same in-flight window, and manual acks with the same prefetch. Two connections
 * (publish, consume) as Courier uses. No deduplication: that is the work Courier adds.
 */
final class RawAmqp implements AutoCloseable {
    private final ObjectMapper mapper = JsonPayloadCodec.defaultMapper();
    private final Connection pubConn;
    private final Connection subConn;
    private final Channel pub;
    private final Channel sub;
    private final String exchange;
    private final String queue;
    private final Semaphore window;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> pending = new ConcurrentSkipListMap<>();

    RawAmqp(Options o, String ns, int window, int prefetch) throws Exception {
        this.exchange = ns + ".raw.events";
        this.queue = ns + ".raw.sink." + AmqpBench.ROUTING_KEY;
        this.window = new Semaphore(window);
        pubConn = AmqpBench.connect(o, "raw-bench-pub");
        subConn = AmqpBench.connect(o, "raw-bench-sub");
        pub = pubConn.createChannel();
        pub.exchangeDeclare(exchange, BuiltinExchangeType.TOPIC, true);
        pub.confirmSelect();
        pub.addConfirmListener((seq, multiple) -> settle(seq, multiple, true), (seq, multiple) -> settle(seq, multiple, false));
        sub = subConn.createChannel();
        sub.basicQos(prefetch);
        sub.queueDeclare(queue, true, false, false, null);
        sub.queueBind(queue, exchange, AmqpBench.ROUTING_KEY);
    }

    List<String> names() {
        return List.of(exchange, queue);
    }

    private void settle(long seq, boolean multiple, boolean ok) {
        if (multiple) {
            ConcurrentNavigableMap<Long, CompletableFuture<Void>> head = pending.headMap(seq, true);
            for (Long k : head.keySet()) {
                CompletableFuture<Void> f = pending.remove(k);
                if (f != null) {
                    window.release();
                    complete(f, ok);
                }
            }
        } else {
            CompletableFuture<Void> f = pending.remove(seq);
            if (f != null) {
                window.release();
                complete(f, ok);
            }
        }
    }

    private static void complete(CompletableFuture<Void> f, boolean ok) {
        if (ok) {
            f.complete(null);
        } else {
            f.completeExceptionally(new IOException("nack"));
        }
    }

    /** Consumes with manual acks: headers read back to strings, body decoded, then acked. */
    void consume(Consumer<BenchPayload> onMessage) throws IOException {
        sub.basicConsume(queue, false, new DefaultConsumer(sub) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties p, byte[] body) throws IOException {
                Map<String, String> h = new HashMap<>();
                for (Map.Entry<String, Object> e : p.getHeaders().entrySet()) {
                    if (e.getKey().startsWith("cloudEvents_")) {
                        Object v = e.getValue();
                        h.put(e.getKey().substring(12), v instanceof LongString ? v.toString() : String.valueOf(v));
                    }
                }
                h.put("datacontenttype", p.getContentType());
                BenchPayload payload = mapper.readValue(body, BenchPayload.class);
                if (h.get("id") != null) {
                    onMessage.accept(payload);
                }
                getChannel().basicAck(env.getDeliveryTag(), false);
            }
        });
    }

    CompletableFuture<Void> publish(BenchPayload payload) throws Exception {
        byte[] body = mapper.writeValueAsBytes(payload);
        String id = UUID.randomUUID().toString();
        Map<String, Object> headers = new HashMap<>(16);
        headers.put("cloudEvents_id", id);
        headers.put("cloudEvents_source", "bench-pub");
        headers.put("cloudEvents_type", AmqpBench.ROUTING_KEY);
        headers.put("cloudEvents_time", Instant.now().toString());
        headers.put("cloudEvents_specversion", "1.0");
        headers.put("cloudEvents_correlationid", id);
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json")
                .messageId(id).correlationId(id).type(AmqpBench.ROUTING_KEY).headers(headers).build();
        window.acquire();
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (this) {
            pending.put(pub.getNextPublishSeqNo(), f);
            pub.basicPublish(exchange, AmqpBench.ROUTING_KEY, false, props, body);
        }
        return f;
    }

    @Override
    public void close() {
        for (Connection c : new Connection[] {pubConn, subConn}) {
            try {
                c.close(5_000);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
