package dev.courier.kafka;

import dev.courier.CourierException;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.Headers;
import dev.courier.spi.RawMessage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The dead letters of one service: the topic {@code <prefix>.deadletter.<service>} (one partition, record
 * key = message id, CloudEvents binary mode like every other topic) and its index, the compacted topic
 * {@code <prefix>.dlindex.<service>}: key = message id, value {@code live:<offset>} once the dead letter at
 * that offset is written, {@code removed:<offset>} once it was removed (Kafka cannot delete one record).
 * A dead letter is listed when the index says it is live at its offset, or when the index does not know
 * its id (a foreign writer): {@link #get} is one index read and one fetch, not a scan.
 */
final class DeadLetters implements DeadLetterChannel {
    static final String LIVE = "live:";
    static final String REMOVED = "removed:";
    private static final Duration READ = Duration.ofSeconds(10);

    private final KafkaTransport transport;
    private final String service;

    DeadLetters(KafkaTransport transport, String service) {
        this.transport = transport;
        this.service = service;
    }

    @Override
    public List<RawMessage> browse(int max) {
        Map<String, String> index = index();
        List<RawMessage> out = new ArrayList<>();
        read(transport.topics().deadLetter(service), 0, r -> {
            if (out.size() < max && live(index, r)) {
                out.add(message(r));
            }
        }, Long.MAX_VALUE);
        return out;
    }

    @Override
    public Optional<RawMessage> get(String messageId) {
        String entry = index().get(messageId);
        if (entry == null) {
            for (RawMessage m : browse(LOOKUP_SCAN_LIMIT)) {
                if (messageId.equals(m.headers().get(Headers.ID))) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }
        if (!entry.startsWith(LIVE)) {
            return Optional.empty();
        }
        long offset = Long.parseLong(entry.substring(LIVE.length()));
        List<RawMessage> found = new ArrayList<>();
        read(transport.topics().deadLetter(service), offset, r -> {
            if (r.offset() == offset) {
                found.add(message(r));
            }
        }, offset + 1);
        return found.stream().findFirst();
    }

    @Override
    public boolean remove(String messageId) {
        Map<String, String> index = index();
        long[] at = {-1};
        read(transport.topics().deadLetter(service), 0, r -> {
            if (live(index, r) && messageId.equals(CloudEventsBinding.fromKafka(r.headers()).get(Headers.ID))) {
                at[0] = r.offset();
            }
        }, Long.MAX_VALUE);
        if (at[0] < 0) {
            return false;
        }
        writeIndex(messageId, REMOVED + at[0]);
        return true;
    }

    /** Records that the dead letter of {@code id} is at {@code offset}; blocks until the broker has it. */
    void writeIndex(String id, String value) {
        try {
            transport.sendNow(transport.topics().deadLetterIndex(service), id.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8), READ);
        } catch (Exception e) {
            throw new CourierException("could not update the dead-letter index of " + service + " on "
                    + transport.describe() + ": " + e, e);
        }
    }

    private static boolean live(Map<String, String> index, ConsumerRecord<byte[], byte[]> r) {
        String id = CloudEventsBinding.fromKafka(r.headers()).get(Headers.ID);
        String entry = id == null ? null : index.get(id);
        if (entry == null) {
            return true;
        }
        if (entry.startsWith(LIVE)) {
            return Long.parseLong(entry.substring(LIVE.length())) == r.offset();
        }
        return r.offset() > Long.parseLong(entry.substring(REMOVED.length()));
    }

    private static RawMessage message(ConsumerRecord<byte[], byte[]> r) {
        return new RawMessage(CloudEventsBinding.fromKafka(r.headers()), r.value() == null ? new byte[0] : r.value());
    }

    private Map<String, String> index() {
        Map<String, String> index = new HashMap<>();
        read(transport.topics().deadLetterIndex(service), 0, r -> {
            if (r.key() != null && r.value() != null) {
                index.put(new String(r.key(), StandardCharsets.UTF_8), new String(r.value(), StandardCharsets.UTF_8));
            }
        }, Long.MAX_VALUE);
        return index;
    }

    /** Reads partition 0 of {@code topic} from {@code from} to its end (or {@code until}), with no group. */
    private void read(String topic, long from, Consumer<ConsumerRecord<byte[], byte[]>> each, long until) {
        if (!transport.topicExists(topic)) {
            return;
        }
        try (KafkaConsumer<byte[], byte[]> c = transport.newConsumer(null, 500)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            long end = Math.min(until, c.endOffsets(List.of(tp), READ).getOrDefault(tp, 0L));
            long start = Math.max(from, c.beginningOffsets(List.of(tp), READ).getOrDefault(tp, 0L));
            if (start >= end) {
                return;
            }
            c.seek(tp, start);
            long deadline = System.nanoTime() + READ.toNanos();
            while (c.position(tp, READ) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.offset() < end) {
                        each.accept(r);
                    }
                }
            }
        }
    }
}
