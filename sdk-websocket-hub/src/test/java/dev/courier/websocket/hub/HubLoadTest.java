package dev.courier.websocket.hub;

import dev.courier.kit.Await;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 1,000 concurrent connections (java.net.http.WebSocket, one shared HttpClient: no thread per
 * connection) held by one hub on this 2-core machine, each with a personal subscription, all getting
 * one broadcast event; the hub's heap growth per connection stays bounded.
 */
class HubLoadTest {
    static final int CONNECTIONS = Integer.getInteger("courier.load.connections", 1000);

    @Test
    void holdsAThousandConnectionsWithBoundedMemory() throws Exception {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        try (WebSocketHub hub = TestHubs.builder().maxConnections(CONNECTIONS + 10, CONNECTIONS + 10).build().start()) {
            HttpClient http = HttpClient.newHttpClient();
            System.gc();
            long before = mem.getHeapMemoryUsage().getUsed();
            AtomicInteger welcomed = new AtomicInteger();
            AtomicInteger subscribed = new AtomicInteger();
            AtomicInteger received = new AtomicInteger();
            List<WebSocket> sockets = new ArrayList<>();
            List<CompletableFuture<WebSocket>> pending = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < CONNECTIONS; i++) {
                pending.add(http.newWebSocketBuilder().subprotocols("cloudevents.json")
                        .header("Authorization", "Bearer " + (i % 2 == 0 ? TestHubs.ALICE_TOKEN : TestHubs.BOB_TOKEN))
                        .buildAsync(hub.uri(), new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                String s = data.toString();
                                if (s.contains("control.v1.welcome")) {
                                    welcomed.incrementAndGet();
                                    ws.sendText(HubSecurityTest.control("subscribe", "s1",
                                            "{\"sub\":\"p\",\"address\":\"event:v1.kit.pinged\"}"), true);
                                } else if (s.contains("control.v1.confirm")) {
                                    subscribed.incrementAndGet();
                                } else if (s.contains("\"v1.kit.pinged\"")) {
                                    received.incrementAndGet();
                                }
                                ws.request(1);
                                return null;
                            }
                        }));
                if (pending.size() == 100) {
                    for (CompletableFuture<WebSocket> f : pending) {
                        sockets.add(f.get(30, TimeUnit.SECONDS));
                    }
                    pending.clear();
                }
            }
            for (CompletableFuture<WebSocket> f : pending) {
                sockets.add(f.get(30, TimeUnit.SECONDS));
            }
            Await.until(Duration.ofSeconds(60), () -> subscribed.get() == CONNECTIONS,
                    () -> "all connections subscribed: welcomed " + welcomed + ", subscribed " + subscribed);
            long connectMillis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(hub.connectionCount() == CONNECTIONS, "hub holds " + hub.connectionCount());

            // one event for everybody (an operator principal may address all tabs with subject:*)
            try (RawClient ops = RawClient.connect(hub.uri(), TestHubs.SERVICE_TOKEN, null)) {
                for (String subject : new String[] {"alice", "bob"}) {
                    ops.send("{\"specversion\":\"1.0\",\"id\":\"" + UUID.randomUUID() + "\",\"source\":\"ops\",\"type\":\"v1.kit.pinged\","
                            + "\"subject\":\"" + subject + "\",\"courierwsto\":\"event:v1.kit.pinged\",\"data\":{\"n\":1}}");
                }
                Await.until(Duration.ofSeconds(60), () -> received.get() == CONNECTIONS,
                        () -> "each tab gets its principal's event: " + received + "/" + CONNECTIONS);
            }
            System.gc();
            long after = mem.getHeapMemoryUsage().getUsed();
            long perConnection = Math.max(0, after - before) / CONNECTIONS;
            System.out.printf("load: %d connections in %d ms, heap +%d KiB (%d bytes per connection, client and hub)%n",
                    CONNECTIONS, connectMillis, Math.max(0, after - before) / 1024, perConnection);
            assertTrue(perConnection < 256 * 1024, "heap per connection (client and hub together) should stay under"
                    + " 256 KiB, was " + perConnection);
            for (WebSocket ws : sockets) {
                ws.abort();
            }
            Await.until(Duration.ofSeconds(30), () -> hub.connectionCount() == 0, () -> "all connections released: "
                    + hub.connectionCount());
        }
    }
}
