package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientConfig;
import dev.courier.UnroutableException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The Outbox against a scripted {@link Wire} (no broker): what a PUBACK "no matching subscribers"
 * means right after a reconnect, when the broker restarted and the consumers have not subscribed again.
 */
class OutboxTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService sender = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        sender.shutdownNow();
    }

    private Outbox outbox() {
        MqttConfig cfg = MqttConfig.fromUri("mqtt://127.0.0.1:1883").toBuilder().version(MqttConfig.Version.V5).build();
        return new Outbox(cfg, "test", Runnable::run, scheduler, sender);
    }

    private static Outbox.Out event(String topic, boolean needsSubscriber) {
        return new Outbox.Out(topic, Map.of("id", topic), new byte[0], false, false, null, null, needsSubscriber);
    }

    /**
     * A broker restart: the publisher reconnects before the consumer's member session has subscribed
     * again, so the broker answers "no matching subscribers" for an event (an event needs no subscriber,
     * it is not unroutable). Confirming it would lose it; in the grace it is sent again until the
     * consumer is back. Failed before the fix: confirmed after the first, unrouted PUBLISH.
     */
    @Test
    void anEventNobodyGotInTheGraceAfterAReconnectIsSentAgainUntilItIsRouted() throws Exception {
        Outbox o = outbox();
        ScriptedWire w = new ScriptedWire(2); // two PUBLISHes go nowhere, then the consumer is subscribed again
        o.up(new ScriptedWire(0), new Wire.Session(false, Integer.MAX_VALUE, 65_535), true);
        o.up(w, new Wire.Session(true, Integer.MAX_VALUE, 65_535), false); // a reconnect: the grace starts
        CompletableFuture<Void> f = o.publish(event("a", false), "event a", Duration.ofSeconds(10));
        f.get(10, TimeUnit.SECONDS);
        assertEquals(List.of("a", "a", "a"), w.sent, "sent until the broker routed it");
        o.close();
    }

    /** Outside the grace an event nobody subscribes to is confirmed (events may have no subscriber). */
    @Test
    void anEventNobodyGetsOnAFirstConnectionIsConfirmedOnce() throws Exception {
        Outbox o = outbox();
        ScriptedWire w = new ScriptedWire(Integer.MAX_VALUE);
        o.up(w, new Wire.Session(false, Integer.MAX_VALUE, 65_535), true);
        o.publish(event("a", false), "event a", Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS);
        assertEquals(List.of("a"), w.sent);
        o.close();
    }

    /** A command nobody subscribes to fails as unroutable outside the grace. */
    @Test
    void aCommandNobodyGetsOnAFirstConnectionIsUnroutable() {
        Outbox o = outbox();
        ScriptedWire w = new ScriptedWire(Integer.MAX_VALUE);
        o.up(w, new Wire.Session(false, Integer.MAX_VALUE, 65_535), true);
        CompletableFuture<Void> f = o.publish(event("c", true), "command c", Duration.ofSeconds(10));
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertInstanceOf(UnroutableException.class, e.getCause());
        assertFalse(w.sent.isEmpty());
        o.close();
    }

    /** Answers the first {@code unrouted} PUBLISHes with "no matching subscribers", the rest delivered. */
    private static final class ScriptedWire implements Wire {
        final List<String> sent = new CopyOnWriteArrayList<>();
        private final int unrouted;

        ScriptedWire(int unrouted) {
            this.unrouted = unrouted;
        }

        @Override
        public CompletableFuture<Outcome> publish(String topic, Map<String, String> headers, byte[] body, int qos,
                                                  String responseTopic, byte[] correlationData) {
            sent.add(topic);
            return CompletableFuture.completedFuture(sent.size() <= unrouted ? Outcome.NO_SUBSCRIBERS : Outcome.DELIVERED);
        }

        @Override
        public CompletableFuture<Outcome> publishRaw(String topic, byte[] payload, int qos, boolean retain) {
            return publish(topic, Map.of(), payload, qos, null, null);
        }

        @Override
        public CompletableFuture<Session> connect(boolean cleanStart, Duration expiry, int receiveMaximum) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> subscribe(String filter, int qos) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> unsubscribe(String filter) {
            throw new UnsupportedOperationException();
        }

        @Override
        public CompletableFuture<Void> disconnect(boolean endSession) {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean isConnected() {
            return true;
        }

        @Override
        public MqttClientConfig clientConfig() {
            throw new UnsupportedOperationException();
        }
    }
}
