package dev.courier.bench.amqp;

import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
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
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The raw amqp-client baseline, written the way a careful user of the client would write it: the same
 * Jackson encoding and the same CloudEvents properties and headers as Courier (what goes on the wire:
 * {@code cloudEvents_id/source/type/time/specversion/correlationid/traceparent}, {@code content_type},
 * {@code message_id}, {@code correlation_id}, {@code type}, persistent), a topic exchange and a durable
 * queue, asynchronous publisher confirms with the same in-flight window, and manual acks with the same
 * prefetch, coalesced as Courier coalesces them (every 64th delivery acks the run with multiple=true, a
 * 1 ms timer the rest; {@code --raw-ack-every 0}: one ack per message). Two connections (publish, consume) as Courier
 * uses. No deduplication and no per-publish future: that is the work Courier adds.
 *
 * <p>What it does not waste (round 2 of the performance work; it was 0.49–0.66× PerfTest): ids from
 * {@link ThreadLocalRandom} instead of {@link UUID#randomUUID()} (a lock and a SecureRandom read per
 * message), the time string cached per second, a prebuilt {@link ObjectWriter}/{@link ObjectReader},
 * and the confirm window kept in a bit set of sequence numbers with counters instead of a
 * {@link CompletableFuture} per message in a skip list.
 */
final class RawAmqp implements AutoCloseable {
    /** The raw consumer's default run of acks per multiple ack ({@code --raw-ack-every}). */
    static final int DEFAULT_ACK_EVERY = 64;
    private static final ObjectWriter WRITER = JsonPayloadCodec.defaultMapper().writerFor(BenchPayload.class);
    private static final ObjectReader READER = JsonPayloadCodec.defaultMapper().readerFor(BenchPayload.class);
    private final Connection pubConn;
    private final Connection subConn;
    private final Channel pub;
    private final Channel sub;
    private final String exchange;
    private final String queue;
    private final Semaphore window;
    /** Sequence numbers published and not confirmed yet; guarded by itself. */
    private final BitSet unconfirmed = new BitSet();
    /** No sequence number below this one is unconfirmed; guarded by {@link #unconfirmed}. */
    private int lowest = 1;
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong nacked = new AtomicLong();
    private volatile long expected = Long.MAX_VALUE;
    private final CompletableFuture<Void> allConfirmed = new CompletableFuture<>();
    private long timeSecond = Long.MIN_VALUE;
    private String timePrefix;
    /**
     * {@code --raw-ack-every N} (default 64): N acks every N-th delivery with multiple=true and a 1 ms timer
     * the rest, as Courier coalesces its acks (round 3 of issue 17: RabbitMQ spends less per message on it);
     * 0 acks each message alone (the baseline before, and PerfTest without -A).
     */
    private final int ackEvery;
    private java.util.concurrent.ScheduledExecutorService ackTimer;

    RawAmqp(Options o, String ns, int window, int prefetch) throws Exception {
        this.exchange = ns + ".raw.events";
        this.queue = ns + ".raw.sink." + AmqpBench.ROUTING_KEY;
        this.window = new Semaphore(window);
        this.ackEvery = o.getInt("raw-ack-every", DEFAULT_ACK_EVERY);
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

    /** On the publishing connection's thread: RabbitMQ confirmed {@code seq} (and all below it if multiple). */
    private void settle(long seq, boolean multiple, boolean ok) {
        int n = 0;
        synchronized (unconfirmed) {
            if (multiple) {
                for (int i = unconfirmed.nextSetBit(lowest); i >= 0 && i <= seq; i = unconfirmed.nextSetBit(i + 1)) {
                    unconfirmed.clear(i);
                    n++;
                }
            } else if (unconfirmed.get((int) seq)) {
                unconfirmed.clear((int) seq);
                n = 1;
            }
            int next = unconfirmed.nextSetBit(lowest);
            lowest = next < 0 ? (int) Math.max(lowest, seq + 1) : next;
        }
        window.release(n);
        if (!ok) {
            nacked.addAndGet(n);
        }
        if (acked.addAndGet(n) == expected) {
            if (nacked.get() > 0) {
                allConfirmed.completeExceptionally(new IOException(nacked.get() + " publishes nacked"));
            } else {
                allConfirmed.complete(null);
            }
        }
    }

    /** Completes when {@code messages} publishes are confirmed (fails if any was nacked). */
    CompletableFuture<Void> confirmed(long messages) {
        expected = messages;
        if (acked.get() == messages) {
            if (nacked.get() > 0) {
                allConfirmed.completeExceptionally(new IOException(nacked.get() + " publishes nacked"));
            } else {
                allConfirmed.complete(null);
            }
        }
        return allConfirmed;
    }

    /** Consumes with manual acks: the CloudEvents headers read back to strings, body decoded, then acked. */
    void consume(Consumer<BenchPayload> onMessage) throws IOException {
        if (ackEvery > 0) {
            consumeAckingInRuns(onMessage);
            return;
        }
        sub.basicConsume(queue, false, new DefaultConsumer(sub) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties p, byte[] body) throws IOException {
                Map<String, String> h = new HashMap<>(16);
                for (Map.Entry<String, Object> e : p.getHeaders().entrySet()) {
                    if (e.getKey().startsWith("cloudEvents_")) {
                        Object v = e.getValue();
                        h.put(e.getKey().substring(12), v instanceof LongString ? v.toString() : String.valueOf(v));
                    }
                }
                h.put("datacontenttype", p.getContentType());
                BenchPayload payload = READER.readValue(body);
                if (h.get("id") != null) {
                    onMessage.accept(payload);
                }
                getChannel().basicAck(env.getDeliveryTag(), false);
            }
        });
    }

    /**
     * The same consumer with coalesced acks, as a raw user could write it (one consumer thread handles
     * deliveries in order, so everything up to the last handled tag is settled): every N-th delivery
     * acks with multiple=true, and a timer acks what was handled since, every millisecond.
     */
    private void consumeAckingInRuns(Consumer<BenchPayload> onMessage) throws IOException {
        Object lock = new Object();
        long[] doneAcked = new long[2]; // the last handled tag, the last acked tag
        ackTimer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
        ackTimer.scheduleWithFixedDelay(() -> {
            synchronized (lock) {
                if (doneAcked[0] > doneAcked[1]) {
                    try {
                        sub.basicAck(doneAcked[0], true);
                        doneAcked[1] = doneAcked[0];
                    } catch (IOException | RuntimeException ignored) {
                        // closing
                    }
                }
            }
        }, 1, 1, java.util.concurrent.TimeUnit.MILLISECONDS);
        sub.basicConsume(queue, false, new DefaultConsumer(sub) {
            @Override
            public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties p, byte[] body) throws IOException {
                Map<String, String> h = new HashMap<>(16);
                for (Map.Entry<String, Object> e : p.getHeaders().entrySet()) {
                    if (e.getKey().startsWith("cloudEvents_")) {
                        Object v = e.getValue();
                        h.put(e.getKey().substring(12), v instanceof LongString ? v.toString() : String.valueOf(v));
                    }
                }
                h.put("datacontenttype", p.getContentType());
                BenchPayload payload = READER.readValue(body);
                if (h.get("id") != null) {
                    onMessage.accept(payload);
                }
                synchronized (lock) {
                    doneAcked[0] = env.getDeliveryTag();
                    if (doneAcked[0] - doneAcked[1] >= ackEvery) {
                        getChannel().basicAck(doneAcked[0], true);
                        doneAcked[1] = doneAcked[0];
                    }
                }
            }
        });
    }

    /** Publishes one message; blocks while the confirm window is full. Only one thread publishes. */
    void publish(BenchPayload payload) throws Exception {
        byte[] body = WRITER.writeValueAsBytes(payload);
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String id = new UUID((r.nextLong() & ~0xF000L) | 0x4000L, (r.nextLong() & 0x3FFFFFFFFFFFFFFFL)
                | 0x8000000000000000L).toString();
        Map<String, Object> headers = new HashMap<>(16);
        headers.put("cloudEvents_id", id);
        headers.put("cloudEvents_source", "bench-pub");
        headers.put("cloudEvents_type", AmqpBench.ROUTING_KEY);
        headers.put("cloudEvents_time", time(System.currentTimeMillis()));
        headers.put("cloudEvents_specversion", "1.0");
        headers.put("cloudEvents_correlationid", id);
        headers.put("cloudEvents_traceparent", "00-" + Long.toHexString(r.nextLong() | Long.MIN_VALUE)
                + Long.toHexString(r.nextLong() | Long.MIN_VALUE) + "-" + Long.toHexString(r.nextLong() | Long.MIN_VALUE)
                + "-01");
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().deliveryMode(2).contentType("application/json")
                .messageId(id).correlationId(id).type(AmqpBench.ROUTING_KEY).headers(headers).build();
        window.acquire();
        synchronized (unconfirmed) {
            unconfirmed.set((int) pub.getNextPublishSeqNo());
        }
        pub.basicPublish(exchange, AmqpBench.ROUTING_KEY, false, props, body);
    }

    /** RFC 3339 with milliseconds, the prefix cached per second (as Courier does). */
    private String time(long millis) {
        long second = Math.floorDiv(millis, 1000);
        if (second != timeSecond) {
            String full = Instant.ofEpochSecond(second).toString();
            timePrefix = full.substring(0, full.length() - 1);
            timeSecond = second;
        }
        int ms = (int) Math.floorMod(millis, 1000);
        return timePrefix + (ms < 10 ? ".00" : ms < 100 ? ".0" : ".") + ms + "Z";
    }

    @Override
    public void close() {
        if (ackTimer != null) {
            ackTimer.shutdownNow();
        }
        for (Connection c : new Connection[] {pubConn, subConn}) {
            try {
                c.close(5_000);
            } catch (Exception ignored) {
                // best effort
            }
        }
    }
}
