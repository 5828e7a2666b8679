package dev.courier.websocket.hub;

import dev.courier.websocket.WebSocketConfig;
import dev.courier.websocket.WebSocketTransport;
import dev.courier.kit.BrokerControl;
import dev.courier.kit.TransportConformanceKit;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Transport;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole conformance kit over WebSocket: client transports through a hub started per test. For
 * WebSocket the "broker" is the hub: each test's hub routes through an in-memory broker of its own
 * that outlives the hub, so {@link #brokerControl()} stops the hub and starts a new one on the same
 * port — what a hub bridged to a durable broker does when it restarts.
 */
class WebSocketConformanceTest extends TransportConformanceKit {
    /** Per namespace; static because the kit's stress case makes an instance per scenario. */
    private static final Map<String, NamespaceHub> HUBS = new ConcurrentHashMap<>();

    /** A test's hub: stopped and started again on the same port over the same broker. */
    static final class NamespaceHub {
        private final String namespace;
        private final InMemoryBroker broker = InMemoryBroker.create(InMemoryBroker.DEFAULT_QUEUE_CAPACITY,
                InMemoryBroker.DEFAULT_DEAD_LETTER_CAPACITY);
        private WebSocketHub hub;
        private int port;
        private java.net.URI uri;

        NamespaceHub(String namespace) {
            this.namespace = namespace;
            start();
        }

        synchronized void start() {
            if (hub != null) {
                return;
            }
            hub = TestHubs.builder().id(namespace).port(port).inMemoryBroker(broker).build().start();
            port = hub.port();
            uri = hub.uri();
        }

        synchronized void stop() {
            if (hub != null) {
                hub.close();
                hub = null;
            }
        }

        synchronized java.net.URI uri() {
            return uri;
        }
    }

    private static NamespaceHub hubOf(String namespace) {
        return HUBS.computeIfAbsent(namespace, NamespaceHub::new);
    }

    @Override
    protected Transport newTransport(String namespace) {
        return WebSocketTransport.of(WebSocketConfig.builder(hubOf(namespace).uri()).token(TestHubs.SERVICE_TOKEN).build());
    }

    /**
     * A client to {@code proxy} (the kit's NetworkFault) instead of the hub, which the proxy forwards
     * to ({@link #brokerAddress()}). It does not touch the hub: the kit also calls it in a child JVM.
     * Its window is 1,000 publishes (the default 50,000 is more than the kit's full-window case can
     * fill well within a publish timeout under load); the rule is the same at any size.
     */
    @Override
    protected Transport newTransportVia(String namespace, InetSocketAddress proxy) {
        return WebSocketTransport.of(WebSocketConfig.builder("ws://" + proxy.getHostString() + ":" + proxy.getPort() + "/")
                .token(TestHubs.SERVICE_TOKEN).maxInFlight(1_000).build());
    }

    /** This test's hub. */
    @Override
    protected InetSocketAddress brokerAddress() {
        java.net.URI uri = hubOf(namespace()).uri();
        return new InetSocketAddress(uri.getHost(), uri.getPort());
    }

    /** The hub's URI with the service token, for the bus the kit starts in a child JVM. */
    @Override
    public Optional<String> transportUri() {
        return Optional.of(hubOf(namespace()).uri() + "?token=" + TestHubs.SERVICE_TOKEN);
    }

    /** Stops this test's hub and starts a new one on the same port over the same broker. */
    @Override
    public Optional<BrokerControl> brokerControl() {
        return Optional.of(new BrokerControl() {
            @Override
            public void stop() {
                hubOf(namespace()).stop();
            }

            @Override
            public void start() {
                hubOf(namespace()).start();
            }
        });
    }

    @Override
    protected void deleteNamespace(String namespace) {
        NamespaceHub h = HUBS.remove(namespace);
        if (h != null) {
            h.stop();
        }
    }
}
