package dev.courier.mqtt;

import dev.courier.ConfigurationException;
import dev.courier.PublishException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a publish is on MQTT: the topic of an address, the response topic and correlation data of a
 * request or reply, the size check against the broker's packet size, the retry topic with its due
 * time (a delayed redelivery), the direct topic of a group (a message given back), and Courier's own
 * retained records. Everything goes through the main session's {@link Outbox}. Internal.
 */
final class Publisher {
    private final MqttConfig cfg;
    private final Topics topics;
    private final Outbox outbox;
    private final Connection main;
    private final Duration publishTimeout;

    Publisher(MqttConfig cfg, Topics topics, Outbox outbox, Connection main, Duration publishTimeout) {
        this.cfg = cfg;
        this.topics = topics;
        this.outbox = outbox;
        this.main = main;
        this.publishTimeout = publishTimeout;
    }

    /** The transport's publish: never throws; fails the future for a name MQTT cannot carry. */
    CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        String topic;
        String responseTopic = null;
        byte[] correlation = null;
        try {
            topic = topics.publishTopic(to);
            String replyTo = headers.get(Headers.REPLY_TO);
            if (replyTo != null && to.kind() != Address.Kind.DEAD_LETTER) {
                responseTopic = topics.reply(replyTo);
                correlation = bytes(headers.get(Headers.ID));
            } else if (to.kind() == Address.Kind.REPLY) {
                correlation = bytes(headers.get(Headers.CAUSATION_ID));
            }
        } catch (ConfigurationException e) {
            return CompletableFuture.failedFuture(new PublishException(e.getMessage(), e));
        }
        boolean needsSubscriber = to.kind() != Address.Kind.EVENT || to.group() != null;
        return send(topic, headers, body, responseTopic, correlation, needsSubscriber, to.toString());
    }

    private CompletableFuture<Void> send(String topic, Map<String, String> headers, byte[] body, String responseTopic,
                                         byte[] correlation, boolean needsSubscriber, String what) {
        int limit = Math.min(cfg.maxMessageSize(), sessionLimit(main));
        long size = estimate(topic, headers, body);
        if (size > limit) {
            return CompletableFuture.failedFuture(new PublishException("message to " + what + " is about " + size
                    + " bytes, more than the limit of " + limit + " bytes (maxMessageSize / broker maximum packet size)"));
        }
        return outbox.publish(new Outbox.Out(topic, headers, body, false, false, responseTopic, correlation,
                needsSubscriber), "message to " + what + " (id " + headers.get(Headers.ID) + ")", publishTimeout);
    }

    /** The smaller of the broker's maximum packet size (CONNACK) and no limit before the first connect. */
    static int sessionLimit(Connection c) {
        Wire.Session s = c == null ? null : c.session();
        return s == null ? Integer.MAX_VALUE : s.maximumPacketSize();
    }

    private static long estimate(String topic, Map<String, String> headers, byte[] body) {
        long n = body.length + topic.length() * 3L + 64;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            n += 8 + e.getKey().length() + e.getValue().length() * 3L;
        }
        return n;
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Brings a message back to the subscription's group: now through the direct topic, or after
     * {@code delay} through the retry topic (read by the retry session, which holds it until due).
     */
    CompletableFuture<Void> republish(Subscription sub, Map<String, String> headers, byte[] body, Duration delay) {
        String name = sub.address.name();
        if (sub.address.kind() == Address.Kind.REPLY) {
            return send(topics.reply(name), headers, body, null, null, true, sub.address.toString());
        }
        if (delay == null || delay.isZero() || delay.isNegative()) {
            return send(topics.direct(sub.share, name), headers, body, null, null, true, "direct:" + name + "@" + sub.share);
        }
        Map<String, String> h = new HashMap<>(headers);
        h.put(Wire.DUE, Long.toString(System.currentTimeMillis() + delay.toMillis()));
        return send(topics.retry(sub.share, name), h, body, null, null, true, "retry:" + name + "@" + sub.share);
    }

    /** Sends a message back to {@code share}'s members of {@code name} (hand-over, a retry whose subscription is gone). */
    CompletableFuture<Void> toDirect(String share, String name, Map<String, String> headers, byte[] body) {
        Map<String, String> h = headers;
        if (h.containsKey(Wire.DUE)) {
            h = new HashMap<>(headers);
            h.remove(Wire.DUE);
        }
        return send(topics.direct(share, name), h, body, null, null, true, "direct:" + name + "@" + share);
    }

    /** Publishes a message as it is to {@code topic} (a dead letter moved to the back of its topic). */
    CompletableFuture<Void> again(String topic, Map<String, String> headers, byte[] body) {
        return send(topic, headers, body, null, null, false, topic);
    }

    /** Publishes Courier's own bytes (member records, fences), optionally retained. */
    CompletableFuture<Void> publishRaw(String topic, byte[] payload, boolean retain) {
        return outbox.publish(new Outbox.Out(topic, Map.of(), payload, true, retain, null, null, false),
                "record " + topic, publishTimeout);
    }
}
