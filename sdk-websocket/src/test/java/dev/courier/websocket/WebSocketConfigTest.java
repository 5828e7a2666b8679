package dev.courier.websocket;

import dev.courier.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One configuration convention: a URI read by TransportUri, one duration syntax, an address list, no secrets shown. */
class WebSocketConfigTest {

    @Test
    void aUriGivesHubsTokenAndSettingsInTheOneDurationSyntax() {
        WebSocketConfig c = WebSocketConfig.of("ws://h1:8080,h2:9090/courier?token=s3cret&connectTimeout=PT5S"
                + "&reconnectMin=50ms&reconnectMax=2s&pingInterval=1m&maxInFlight=7&maxIncomingMessageBytes=4096");
        assertEquals(List.of(URI.create("ws://h1:8080/courier"), URI.create("ws://h2:9090/courier")), c.hubs());
        assertEquals("s3cret", c.token());
        assertEquals(Duration.ofSeconds(5), c.connectTimeout());
        assertEquals(Duration.ofMillis(50), c.reconnectMin());
        assertEquals(Duration.ofSeconds(2), c.reconnectMax());
        assertEquals(Duration.ofMinutes(1), c.pingInterval());
        assertEquals(7, c.maxInFlight());
        assertEquals(4096, c.maxIncomingMessageBytes());
    }

    @Test
    void defaultsAndDefaultPorts() {
        WebSocketConfig c = WebSocketConfig.of("wss://hub.example");
        assertEquals(List.of(URI.create("wss://hub.example:443/")), c.hubs());
        assertNull(c.token());
        assertEquals(WebSocketConfig.DEFAULT_CONNECT_TIMEOUT, c.connectTimeout());
        assertEquals(WebSocketConfig.DEFAULT_MAX_IN_FLIGHT, c.maxInFlight());
        assertEquals(List.of(URI.create("ws://127.0.0.1:80/")), WebSocketConfig.of("ws://127.0.0.1").hubs());
    }

    @Test
    void theBuilderOverridesTheUri() {
        WebSocketConfig c = WebSocketConfig.builder("ws://h:1/?token=a&maxInFlight=3").token("b").maxInFlight(9).build();
        assertEquals("b", c.token());
        assertEquals(9, c.maxInFlight());
    }

    @Test
    void everyProblemIsNamedAtOnceAndTheTokenIsNeverShown() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> WebSocketConfig.of(
                "ws://h:1/?token=s3cret&connectTimeout=soon&maxInFlight=0&colour=blue"));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("connectTimeout") && all.contains("maxInFlight") && all.contains("colour"), all);
        assertFalse(all.contains("s3cret"), all);
        ConfigurationException scheme = assertThrows(ConfigurationException.class,
                () -> WebSocketConfig.of("http://h:1/?token=s3cret"));
        assertTrue(scheme.getMessage().contains("ws://") && !scheme.getMessage().contains("s3cret"), scheme.getMessage());
        assertThrows(ConfigurationException.class, () -> WebSocketConfig.builder("ws://h:1/")
                .reconnectDelay(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
        assertThrows(ConfigurationException.class, () -> WebSocketConfig.of("not a uri"));
    }

    @Test
    void toStringDescribeAndTheTransportNeverShowTheToken() {
        WebSocketConfig c = WebSocketConfig.of("ws://h1:1,h2:2/?token=s3cret");
        assertFalse(c.toString().contains("s3cret"), c.toString());
        assertTrue(c.toString().contains("***"), c.toString());
        WebSocketTransport t = WebSocketTransport.of(c);
        try {
            assertFalse(t.describe().contains("s3cret"), t.describe());
            assertEquals("h1:1,h2:2", t.host());
        } finally {
            t.close();
        }
    }

    @Test
    void theProviderReadsTheSameUriAndNamesItsProblems() {
        WebSocketTransportProvider p = new WebSocketTransportProvider();
        assertTrue(p.supports(URI.create("wss://h:1/")));
        WebSocketTransport t = (WebSocketTransport) p.create(URI.create("ws://h1:1,h2:2/?token=x&connectTimeout=3s"));
        try {
            assertEquals(Duration.ofSeconds(3), t.config().connectTimeout());
            assertEquals(2, t.config().hubs().size());
        } finally {
            t.close();
        }
        // the SPI's one error for a bad URI, as on every other transport: each problem named apart
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> p.create(URI.create("ws://h:1/?token=s3cret&bogus=1&alsoBogus=2")));
        assertEquals(2, e.problems().size(), e.problems().toString());
        assertTrue(e.getMessage().contains("bogus") && !e.getMessage().contains("s3cret"), e.getMessage());
    }

    @Test
    void theBusReportsEachProblemOfTheTransportUriApart() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> dev.courier.MessageBus.builder("uri-problems")
                .transport("ws://h:1/?token=s3cret&bogus=1&alsoBogus=2").build());
        assertTrue(e.problems().stream().anyMatch(q -> q.startsWith("transport: ") && q.contains("alsoBogus")),
                e.problems().toString());
        assertTrue(e.problems().stream().anyMatch(q -> q.startsWith("transport: ") && q.contains("bogus")
                && !q.contains("alsoBogus")), e.problems().toString());
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
    }
}
