package dev.courier.kafka;

import dev.courier.UnroutableException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A reply goes to the requester's reply topic, which the requester created when it subscribed. Another
 * client of the cluster may not see a topic that new yet (its metadata arrives a moment later, more so
 * under load): a reply topic that is not visible is looked for again for a short grace before the reply
 * is called unroutable (the requester is gone). Found under load: replies dead-lettered as "the requester
 * is gone" while the requester was alive.
 */
class KafkaReplyTopicTest {
    private final String ns = "kr" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    private Transport t;

    @BeforeAll
    static void broker() {
        KafkaBroker.bootstrap();
    }

    @AfterEach
    void cleanUp() {
        if (t != null) {
            t.close();
        }
        KafkaBroker.deleteNamespace(ns);
    }

    @Test
    void aReplyTopicThatAppearsAMomentLaterStillGetsTheReply() throws Exception {
        t = KafkaTransport.of(KafkaConfig.builder(KafkaBroker.bootstrap()).prefix(ns).partitions(1).build());
        t.start(new TransportContext("replier", "r1", Duration.ofSeconds(10)));
        CompletableFuture<Void> reply = t.publish(Address.reply("late-requester"), headers(), body());
        // not failed at once: the topic may be on its way (a bounded wait as an assertion, not as synchronisation)
        assertThrows(TimeoutException.class, () -> reply.get(500, TimeUnit.MILLISECONDS),
                "a reply to a topic not visible yet must wait a moment for it, not fail at once");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaBroker.bootstrap()))) {
            admin.createTopics(List.of(new NewTopic(ns + ".reply.late-requester", 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        reply.get(30, TimeUnit.SECONDS); // the requester's topic appeared within the grace: the reply is sent
    }

    @Test
    void aReplyTopicThatNeverAppearsIsUnroutableAfterTheGrace() throws Exception {
        t = KafkaTransport.of(KafkaConfig.builder(KafkaBroker.bootstrap()).prefix(ns).partitions(1).build());
        t.start(new TransportContext("replier", "r1", Duration.ofSeconds(10)));
        CompletableFuture<Void> reply = t.publish(Address.reply("gone-requester"), headers(), body());
        ExecutionException e = assertThrows(ExecutionException.class, () -> reply.get(30, TimeUnit.SECONDS));
        assertInstanceOf(UnroutableException.class, e.getCause(), () -> "a reply whose topic never appears is"
                + " unroutable (the requester is gone), not " + e.getCause());
        assertFalse(e.getCause().getMessage().isEmpty());
    }

    private static Map<String, String> headers() {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, UUID.randomUUID().toString());
        h.put(Headers.TYPE, "v1.late.reply");
        h.put(Headers.SOURCE, "replier");
        h.put(Headers.SPECVERSION, "1.0");
        return h;
    }

    private static byte[] body() {
        return "{}".getBytes(StandardCharsets.UTF_8);
    }
}
