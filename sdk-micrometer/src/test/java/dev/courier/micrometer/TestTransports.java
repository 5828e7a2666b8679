package dev.courier.micrometer;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.MessageBus;
import dev.courier.amqp.AmqpConfig;
import dev.courier.amqp.AmqpTransport;
import dev.courier.mqtt.MqttConfig;
import dev.courier.mqtt.MqttTransport;
import dev.courier.websocket.hub.Authenticator;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.hub.WebSocketPrincipal;
import dev.courier.websocket.WebSocketTransport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The four transports for the module's tests, each test in its own names, cleaned up afterwards. A
 * missing broker skips the test, except under CI=true, where it fails (the project's rule).
 */
public final class TestTransports {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

    private TestTransports() {
    }

    /** One test's transport: gives each bus its own connection in the test's names. */
    public interface TestTransport extends AutoCloseable {
        MessageBus.Builder on(MessageBus.Builder builder);

        /** The transport's name, for messages (and the expected {@code messaging.system} of a span). */
        String system();

        @Override
        void close();
    }

    public static String namespace() {
        return "obs" + RUN + "x" + SEQ.incrementAndGet();
    }

    public static TestTransport memory() {
        String broker = "obs-" + UUID.randomUUID();
        return new TestTransport() {
            @Override
            public MessageBus.Builder on(MessageBus.Builder b) {
                return b.transport("memory:" + broker);
            }

            @Override
            public String system() {
                return "memory";
            }

            @Override
            public void close() {
            }
        };
    }

    /** RabbitMQ: COURIER_AMQP_URI, else 127.0.0.1:5672 guest/guest; exchanges and queues under a namespace, deleted. */
    public static TestTransport amqp() {
        String env = System.getenv("COURIER_AMQP_URI");
        String uri = env != null && !env.isBlank() ? env.trim() : accepts("127.0.0.1", 5672) ? "amqp://guest:guest@127.0.0.1:5672/" : null;
        require(uri != null, "RabbitMQ not found: set COURIER_AMQP_URI or start RabbitMQ on 127.0.0.1:5672 (guest/guest)");
        String ns = namespace();
        return new TestTransport() {
            @Override
            public MessageBus.Builder on(MessageBus.Builder b) {
                return b.transport(AmqpTransport.of(AmqpConfig.builder().uri(uri).namespace(ns).build()));
            }

            @Override
            public String system() {
                return "rabbitmq";
            }

            @Override
            public void close() {
                deleteAmqp(uri, ns);
            }
        };
    }

    /** Deletes the queues and exchanges the module's tests can make under {@code ns}. */
    public static void deleteAmqp(String uri, String ns) {
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(uri);
            if (f.getVirtualHost().isEmpty()) {
                f.setVirtualHost("/"); // amqp-client reads "amqp://host/" as the empty virtual host
            }
            try (Connection c = f.newConnection("courier-observability-test-cleanup")) {
                for (String n : AmqpNames.all(ns)) {
                    for (int kind = 0; kind < 2; kind++) {
                        Channel ch = c.createChannel();
                        try {
                            if (kind == 0) {
                                ch.queueDelete(n);
                            } else {
                                ch.exchangeDelete(n);
                            }
                        } catch (IOException notThere) {
                            // no queue (or exchange) of that name
                        } finally {
                            if (ch.isOpen()) {
                                ch.abort();
                            }
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("clean-up of namespace " + ns + " failed: " + e);
        }
    }

    /** The broker names the module's tests can create under a namespace: services and messages they use. */
    public static final class AmqpNames {
        static final List<String> SERVICES = List.of("ordering", "packing", "shipping", "storefront", "flaky",
                "publisher", "metered", "pub", "answerer", "asker");
        static final List<String> EVENTS = List.of("v1.otel.order.placed", "v1.otel.parcel.packed", "v1.metric.happened");
        static final List<String> COMMANDS = List.of("v1.otel.order.place", "v1.metric.ask", "v1.metric.orphan");

        static List<String> all(String ns) {
            java.util.List<String> out = new java.util.ArrayList<>(List.of(ns + ".courier.events", ns + ".courier.commands"));
            for (String s : SERVICES) {
                out.add(ns + ".courier.dead-letter." + s);
                for (String e : EVENTS) {
                    out.add(ns + "." + s + "." + e);
                }
            }
            for (String c : COMMANDS) {
                out.add(ns + ".courier.command." + c);
            }
            for (long ms : new long[] {20, 300, 1000, 5000, 10000, 20000}) {
                out.add(ns + ".courier.delay." + ms + "ms");
            }
            return out;
        }
    }

    /**
     * Mosquitto (MQTT 5): COURIER_MQTT_URI, else 127.0.0.1:1883; topics and client ids under a prefix,
     * sessions that expire 30 s after the test, every retained message under the prefix (the member
     * records) cleared at the end. Each bus gets the instance id "i1".
     */
    public static TestTransport mqtt() {
        String env = System.getenv("COURIER_MQTT_URI");
        URI uri = env != null && !env.isBlank() ? URI.create(env.trim()) : accepts("127.0.0.1", 1883) ? URI.create("mqtt://127.0.0.1:1883") : null;
        require(uri != null, "no MQTT broker: set COURIER_MQTT_URI or start Mosquitto on 127.0.0.1:1883 (bash .ci/mosquitto.sh)");
        String prefix = namespace();
        MqttConfig cfg = MqttConfig.fromUri(uri.toString()).toBuilder().topicPrefix(prefix).clientIdPrefix(prefix)
                .sessionExpiry(Duration.ofSeconds(30)).build();
        return new TestTransport() {
            @Override
            public MessageBus.Builder on(MessageBus.Builder b) {
                return b.transport(MqttTransport.of(cfg)).instanceId("i1");
            }

            @Override
            public String system() {
                return "mqtt";
            }

            @Override
            public void close() {
                clearRetained(uri, prefix);
            }
        };
    }

    /**
     * Clears every retained message under {@code prefix} (the member records an MQTT transport leaves on a
     * graceful close, whatever their layout): subscribes to {@code prefix/#}, takes the retained messages
     * the broker sends first, up to a marker published after the subscription, and publishes an empty
     * retained message to each of their topics.
     */
    public static void clearRetained(URI uri, String prefix) {
        Mqtt5BlockingClient c = Mqtt5Client.builder().identifier(prefix + "-cleaner").serverHost(uri.getHost())
                .serverPort(uri.getPort() > 0 ? uri.getPort() : 1883).buildBlocking();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
            c.connect();
            c.subscribeWith().topicFilter(prefix + "/#").qos(MqttQos.AT_LEAST_ONCE).send();
            String marker = prefix + "/_cleanup/" + UUID.randomUUID();
            c.publishWith().topic(marker).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[] {1}).send();
            List<String> retained = new java.util.ArrayList<>();
            while (true) {
                java.util.Optional<com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish> p =
                        publishes.receive(10, java.util.concurrent.TimeUnit.SECONDS);
                if (p.isEmpty() || p.get().getTopic().toString().equals(marker)) {
                    break;
                }
                if (p.get().isRetain() && p.get().getPayloadAsBytes().length > 0) {
                    retained.add(p.get().getTopic().toString());
                }
            }
            for (String t : retained) {
                c.publishWith().topic(t).retain(true).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[0]).send();
            }
            c.disconnect();
        } catch (Exception e) {
            System.err.println("clean-up of MQTT prefix " + prefix + " failed: " + e);
        }
    }

    /** An in-process WebSocket hub per test; clients authenticate with a service token. */
    public static TestTransport websocket() {
        String token = "obs-token-" + UUID.randomUUID();
        WebSocketHub hub = WebSocketHub.builder()
                .authenticator(Authenticator.tokens(Map.of(token, WebSocketPrincipal.of("backend", "publish:*", "send:*",
                        "subscribe:*", "service:*", "reply:*"))))
                .rateLimit(1_000_000, 1_000_000).httpPort(-1).build().start();
        return new TestTransport() {
            @Override
            public MessageBus.Builder on(MessageBus.Builder b) {
                return b.transport(WebSocketTransport.of(dev.courier.websocket.WebSocketConfig.builder(hub.uri()).token(token).build()));
            }

            @Override
            public String system() {
                return "websocket";
            }

            @Override
            public void close() {
                hub.close();
            }
        };
    }

    private static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + " (CI=true: a missing broker is a failure, never a skip)");
        }
        assumeTrue(false, why);
    }

    private static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
