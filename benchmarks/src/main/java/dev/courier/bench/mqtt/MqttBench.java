package dev.courier.bench.mqtt;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import dev.courier.MessageBus;
import dev.courier.bench.Options;
import dev.courier.bench.Stats;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.mqtt.MqttConfig;
import dev.courier.mqtt.MqttTransport;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** Shared pieces of the MQTT scenarios: the broker, Courier buses, the raw HiveMQ baseline, clean-up. */
final class MqttBench {
    static final String TYPE = "v1.bench.measured";
    static final ObjectMapper JSON = new ObjectMapper();

    private MqttBench() {
    }

    static URI uri(Options o) {
        return URI.create(o.get("uri", System.getenv().getOrDefault("COURIER_MQTT_URI", "mqtt://127.0.0.1:1883")));
    }

    static String namespace(String what) {
        return "bench" + what + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    }

    static MqttConfig config(Options o, String ns) {
        return config(o, ns, Duration.ofMinutes(10));
    }

    static MqttConfig config(Options o, String ns, Duration sessionExpiry) {
        return MqttConfig.fromUri(uri(o).toString()).toBuilder().topicPrefix(ns).clientIdPrefix(ns)
                .sessionExpiry(sessionExpiry).maxInFlight(o.getInt("inflight", 1000)).build();
    }

    static MqttTransport transport(Options o, String ns) {
        return MqttTransport.of(config(o, ns));
    }

    /** Ends every session a run created (Courier's and the raw clients'), so nothing stays on the broker. */
    static void cleanUp(Options o, String ns, List<String> services) {
        URI u = uri(o);
        for (String s : services) {
            for (String id : List.of(ns + ":" + s + ":b1", ns + ":" + s + ":b1:retry", ns + ":" + s + ":deadletters",
                    ns + "-" + s)) {
                try {
                    Mqtt5AsyncClient c = Mqtt5Client.builder().identifier(id).serverHost(u.getHost()).serverPort(port(u))
                            .buildAsync();
                    c.connectWith().cleanStart(true).sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
                    c.disconnect().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // best effort
                }
            }
        }
    }

    static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : 1883;
    }

    /** The raw HiveMQ client doing what Courier does on the wire: the same JSON and CloudEvents user properties. */
    static final class Raw implements AutoCloseable {
        final Mqtt5AsyncClient pub;
        final Mqtt5AsyncClient sub;
        final String topic;
        final Semaphore inFlight;

        Raw(Options o, String ns, Consumer<BenchPayload> onMessage) throws Exception {
            URI u = uri(o);
            topic = ns + "/v1/bench/measured";
            inFlight = new Semaphore(o.getInt("inflight", 1000));
            sub = Mqtt5Client.builder().identifier(ns + "-raw-sink").serverHost(u.getHost()).serverPort(port(u)).buildAsync();
            // the same semantics as Courier's sink: the PUBACK goes after the handler ran (manual
            // acknowledgement); the same receive maximum as Courier announces (65,535: the broker's
            // max_inflight_messages is the real cap for both); decoded on the client's network thread,
            // which is the cheapest a raw client can do (no hand-off)
            sub.publishes(MqttGlobalPublishFilter.ALL, p -> {
                try {
                    onMessage.accept(JSON.readValue(p.getPayloadAsBytes(), BenchPayload.class));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                p.acknowledge();
            }, true);
            sub.connectWith().cleanStart(false).sessionExpiryInterval(600).restrictions()
                    .receiveMaximum(65_535)
                    .applyRestrictions().send().get(10, TimeUnit.SECONDS);
            sub.subscribeWith().topicFilter("$share/raw-sink/" + topic).qos(MqttQos.AT_LEAST_ONCE).send().get(10, TimeUnit.SECONDS);
            pub = Mqtt5Client.builder().identifier(ns + "-raw-pub").serverHost(u.getHost()).serverPort(port(u)).buildAsync();
            pub.connectWith().cleanStart(true).send().get(10, TimeUnit.SECONDS);
        }

        CompletableFuture<?> publish(BenchPayload p) throws Exception {
            inFlight.acquire();
            String id = UUID.randomUUID().toString();
            Mqtt5UserProperties props = Mqtt5UserProperties.builder().add("id", id).add("source", "bench-pub")
                    .add("type", TYPE).add("time", Instant.now().toString()).add("specversion", "1.0")
                    .add("correlationid", id).build();
            return pub.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(JSON.writeValueAsBytes(p))
                    .contentType("application/json").userProperties(props).send()
                    .whenComplete((r, e) -> inFlight.release());
        }

        @Override
        public void close() throws Exception {
            pub.disconnect().get(10, TimeUnit.SECONDS);
            sub.disconnectWith().sessionExpiryInterval(0).send().get(10, TimeUnit.SECONDS);
        }
    }

    /** One measured pass: publish {@code n} payloads (paced at {@code rate}/s if positive), wait for all to arrive. */
    record Pass(double msgsPerSecond, Stats latency, long received) {
    }

    interface Publisher {
        CompletableFuture<?> publish(BenchPayload p) throws Exception;
    }

    static Pass pass(int n, double rate, Publisher publisher, AtomicLong received, Stats latency, Duration patience)
            throws Exception {
        long start = received.get();
        long t0 = System.nanoTime();
        CompletableFuture<?> last = null;
        for (int i = 0; i < n; i++) {
            if (rate > 0) {
                long due = t0 + (long) (i * 1e9 / rate);
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                // stamped with the intended send time: a publish that stalls counts in every message it delays
                last = publisher.publish(BenchPayload.at(i, due));
            } else {
                last = publisher.publish(BenchPayload.of(i));
            }
        }
        if (last != null) {
            last.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        }
        long deadline = System.nanoTime() + patience.toNanos();
        while (received.get() - start < n && System.nanoTime() < deadline) {
            Thread.sleep(1); // polling a counter; the bench has no other signal
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Pass((received.get() - start) / secs, latency, received.get() - start);
    }

    static double median(double[] xs) {
        double[] c = xs.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    static MessageBus sink(Options o, String ns, AtomicLong received, Stats latency) {
        return sink(o, transport(o, ns), received, () -> latency);
    }

    static MessageBus sink(Options o, MqttTransport transport, AtomicLong received, java.util.function.Supplier<Stats> latency) {
        return MessageBus.builder("bench-sink").instanceId("b1").transport(transport)
                .concurrency(o.getInt("concurrency", 4)).prefetch(o.getInt("prefetch", 1000))
                .onEvent(BenchPayload.class, (p, ctx) -> {
                    latency.get().add(System.nanoTime() - p.sentNanos());
                    received.incrementAndGet();
                }).build().start();
    }

    static MessageBus publisher(Options o, String ns) {
        return publisher(o, transport(o, ns));
    }

    static MessageBus publisher(Options o, MqttTransport transport) {
        return MessageBus.builder("bench-pub").instanceId("b1").transport(transport)
                .publishTimeout(Duration.ofSeconds(60)).produces(BenchPayload.class).build().start();
    }
}
