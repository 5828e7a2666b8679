package dev.courier.websocket.hub;

import dev.courier.MessageBus;
import dev.courier.kit.Await;
import dev.courier.kit.KitMessages.Pinged;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Scale-out: two hubs attached to one backbone. A client on one hub receives what a client on the
 * other publishes, and a service on the backbone itself sees both. Runs on a shared in-memory broker
 * always, and on the local RabbitMQ (AMQP transport) when one is reachable.
 */
class HubBridgeTest {
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    @Test
    void twoHubsBridgedThroughASharedInMemoryBroker() throws Exception {
        InMemoryBroker broker = InMemoryBroker.create(10_000, 1000);
        scenario(broker::connect);
    }

    @Test
    void twoHubsBridgedThroughRabbitMq() throws Exception {
        String uri = System.getenv("COURIER_AMQP_URI");
        if (uri == null || uri.isBlank()) {
            if (accepts()) {
                uri = "amqp://guest:guest@127.0.0.1:5672/";
            } else if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("RabbitMQ is required on CI for the scale-out test: start it on 127.0.0.1:5672 or set COURIER_AMQP_URI");
            } else {
                assumeTrue(false, "RabbitMQ not reachable on 127.0.0.1:5672 (set COURIER_AMQP_URI); scale-out over AMQP skipped");
            }
        }
        String namespace = "wsbridge" + Long.toString(System.nanoTime(), 36);
        URI amqp = URI.create(uri + (uri.contains("?") ? "&" : "?") + "namespace=" + namespace);
        try {
            scenario(() -> transport(amqp));
        } finally {
            tearDown();
            open.clear();
            deleteNamespace(uri, namespace);
        }
    }

    /**
     * Issue 11.9 (rest): a personal route that is freed (its last follower left), or still open when the hub
     * stops, must not leave its backbone queue behind - a durable queue on a bridged hub that would collect
     * that event forever. In memory: the broker's queue count.
     */
    @Test
    void freedPersonalRoutesLeaveNoQueueInTheInMemoryBroker() throws Exception {
        InMemoryBroker broker = InMemoryBroker.create(10_000, 1000);
        int before = broker.queueCount();
        WebSocketHub hub = TestHubs.builder().backbone(broker.connect(), Duration.ofSeconds(10)).build().start();
        open.add(hub);
        try (RawClient c = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
            followAndLeave(c, "v1.kit.freed");
            Await.until(Duration.ofSeconds(10), () -> broker.queueCount() == before, () -> "the freed route's queue is"
                    + " deleted; queues: " + broker.queueCount() + ", before: " + before);
            follow(c, "v1.kit.held", "f2");
            org.junit.jupiter.api.Assertions.assertEquals(before + 1, broker.queueCount(), "a followed route has a queue");
        }
        hub.close();
        org.junit.jupiter.api.Assertions.assertEquals(before, broker.queueCount(), "a stopped hub leaves no route queue");
    }

    /** The same on RabbitMQ: the route's durable queue is gone once the route is freed, or the hub stopped. */
    @Test
    void freedPersonalRoutesLeaveNoQueueOnRabbitMq() throws Exception {
        String uri = rabbitUri();
        String namespace = "wsroutes" + Long.toString(System.nanoTime(), 36);
        String hubId = "routes" + Long.toString(System.nanoTime(), 36);
        URI amqp = URI.create(uri + (uri.contains("?") ? "&" : "?") + "namespace=" + namespace);
        com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
        f.setUri(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri);
        // the AMQP transport's event queue name: <namespace>.<group>.<event name>, the hub's group courierhub.<hub id>
        String freed = namespace + ".courierhub." + hubId + ".v1.kit.freed";
        String held = namespace + ".courierhub." + hubId + ".v1.kit.held";
        try (com.rabbitmq.client.Connection raw = f.newConnection()) {
            WebSocketHub hub = TestHubs.builder().id(hubId).backbone(transport(amqp), Duration.ofSeconds(10)).build().start();
            open.add(hub);
            try (RawClient c = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
                follow(c, "v1.kit.freed", "f1");
                org.junit.jupiter.api.Assertions.assertTrue(exists(raw, freed), "a followed route has its queue " + freed);
                c.send(HubSecurityTest.control("unsubscribe", "u1", "{\"sub\":\"f1\"}"));
                c.await(n -> "u1".equals(n.path("data").path("seq").asText()), "unsubscribed");
                Await.until(Duration.ofSeconds(20), () -> !exists(raw, freed), () -> "the freed route's queue " + freed
                        + " must be deleted");
                follow(c, "v1.kit.held", "f2");
                org.junit.jupiter.api.Assertions.assertTrue(exists(raw, held), "a followed route has its queue " + held);
            }
            hub.close();
            org.junit.jupiter.api.Assertions.assertFalse(exists(raw, held), "a stopped hub leaves no route queue: " + held);
        } finally {
            tearDown();
            open.clear();
            deleteNamespace(uri, namespace);
        }
    }

    private static void follow(RawClient c, String event, String sub) {
        c.send(HubSecurityTest.control("subscribe", "s-" + sub, "{\"sub\":\"" + sub + "\",\"address\":\"event:" + event
                + "\",\"personal\":true}"));
        c.await(n -> ("s-" + sub).equals(n.path("data").path("seq").asText()), "followed " + event);
    }

    private static void followAndLeave(RawClient c, String event) {
        follow(c, event, "f1");
        c.send(HubSecurityTest.control("unsubscribe", "u1", "{\"sub\":\"f1\"}"));
        c.await(n -> "u1".equals(n.path("data").path("seq").asText()), "unsubscribed");
    }

    /** Passive declare on a channel of its own (a 404 closes the channel). */
    private static boolean exists(com.rabbitmq.client.Connection raw, String queue) {
        try (com.rabbitmq.client.Channel ch = raw.createChannel()) {
            ch.queueDeclarePassive(queue);
            return true;
        } catch (IOException e) {
            return false;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(e);
        } catch (com.rabbitmq.client.AlreadyClosedException e) {
            return false;
        }
    }

    /** The RabbitMQ URI: COURIER_AMQP_URI, else the local broker; a missing broker fails under CI=true. */
    private static String rabbitUri() {
        String uri = System.getenv("COURIER_AMQP_URI");
        if (uri == null || uri.isBlank()) {
            if (accepts()) {
                uri = "amqp://guest:guest@127.0.0.1:5672/";
            } else if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("RabbitMQ is required on CI: start it on 127.0.0.1:5672 or set COURIER_AMQP_URI");
            } else {
                assumeTrue(false, "RabbitMQ not reachable on 127.0.0.1:5672 (set COURIER_AMQP_URI); skipped");
            }
        }
        return uri;
    }

    /** Removes the test's queues and exchanges (names listed with rabbitmqctl when it is there). */
    private static void deleteNamespace(String uri, String namespace) {
        try {
            com.rabbitmq.client.ConnectionFactory f = new com.rabbitmq.client.ConnectionFactory();
            f.setUri(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri);
            try (com.rabbitmq.client.Connection c = f.newConnection()) {
                for (String kind : List.of("list_queues", "list_exchanges")) {
                    Process p = new ProcessBuilder("rabbitmqctl", kind, "-q", "name").redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes());
                    p.waitFor(30, TimeUnit.SECONDS);
                    for (String name : out.split("\\s+")) {
                        if (name.startsWith(namespace)) {
                            com.rabbitmq.client.Channel ch = c.createChannel();
                            if (kind.equals("list_queues")) {
                                ch.queueDelete(name);
                            } else {
                                ch.exchangeDelete(name);
                            }
                            ch.close();
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("clean-up of namespace " + namespace + " incomplete: " + e + " " + e.getCause());
        }
    }

    private static Transport transport(URI uri) {
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class)) {
            if (p.supports(uri)) {
                return p.create(uri);
            }
        }
        throw new IllegalStateException("no transport for " + uri.getScheme());
    }

    private static boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 5672), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.produces(Pinged.class).publishTimeout(Duration.ofSeconds(15)).build();
        open.add(bus);
        bus.start();
        return bus;
    }

    private void scenario(Supplier<Transport> backbone) throws Exception {
        WebSocketHub a = TestHubs.builder().id("huba").backbone(backbone.get(), Duration.ofSeconds(10)).build().start();
        open.add(a);
        WebSocketHub b = TestHubs.builder().id("hubb").backbone(backbone.get(), Duration.ofSeconds(10)).build().start();
        open.add(b);

        Set<String> onA = ConcurrentHashMap.newKeySet();
        Set<String> onBackbone = ConcurrentHashMap.newKeySet();
        start(MessageBus.builder("watcher").transport(TestHubs.client(a, TestHubs.SERVICE_TOKEN))
                .onEvent(Pinged.class, (e, ctx) -> onA.add(e.text())));
        start(MessageBus.builder("ledger").transport(backbone.get())
                .onEvent(Pinged.class, (e, ctx) -> onBackbone.add(e.text())));
        MessageBus pubOnB = start(MessageBus.builder("pubb").transport(TestHubs.client(b, TestHubs.SERVICE_TOKEN)));
        MessageBus pubOnA = start(MessageBus.builder("puba").transport(TestHubs.client(a, TestHubs.SERVICE_TOKEN)));
        for (int i = 0; i < 50; i++) {
            pubOnB.publish(new Pinged(i, "b" + i)).get(15, TimeUnit.SECONDS);
            pubOnA.publish(new Pinged(i, "a" + i)).get(15, TimeUnit.SECONDS);
        }
        Await.until(Duration.ofSeconds(30), () -> onA.size() == 100,
                () -> "the client on hub A gets what clients on hub B (and A) publish: " + onA.size() + "/100");
        Await.until(Duration.ofSeconds(30), () -> onBackbone.size() == 100,
                () -> "a service on the backbone sees both hubs' events: " + onBackbone.size() + "/100");
    }
}
