package dev.courier.websocket;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The whole conformance kit over WebSocket: client transports through a hub started per test. */
class WebSocketConformanceTest extends TransportConformanceKit {
    private final Map<String, WebSocketHub> hubs = new ConcurrentHashMap<>();

    @Override
    protected Transport newTransport(String namespace) {
        WebSocketHub hub = hubs.computeIfAbsent(namespace, ns -> TestHubs.builder().id(ns).build().start());
        return TestHubs.client(hub, TestHubs.SERVICE_TOKEN);
    }

    @Override
    protected void deleteNamespace(String namespace) {
        WebSocketHub hub = hubs.remove(namespace);
        if (hub != null) {
            hub.close();
        }
    }
}
