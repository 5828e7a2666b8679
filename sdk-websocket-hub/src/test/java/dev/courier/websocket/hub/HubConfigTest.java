package dev.courier.websocket.hub;

import dev.courier.ConfigurationException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hub's settings: frozen at build(), every problem named at once. No hub is started. */
class HubConfigTest {

    @Test
    void aBuilderChangedAfterBuildDoesNotReachTheHubItBuilt() {
        // Before HubConfig the builder handed the hub its own mutable settings object, so this renamed the first hub.
        WebSocketHub.Builder builder = WebSocketHub.builder().authenticator(TestHubs.authenticator()).id("first");
        try (WebSocketHub first = builder.build(); WebSocketHub second = builder.id("second").build()) {
            assertEquals("first", first.id());
            assertEquals("second", second.id());
        }
    }

    @Test
    void buildNamesEveryBadSettingAtOnce() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> WebSocketHub.builder().port(-1).maxMessageBytes(10).ioThreads(0).build());
        String m = e.getMessage();
        assertTrue(m.contains("authenticator is required"), m);
        assertTrue(m.contains("port must be 0..65535"), m);
        assertTrue(m.contains("maxMessageBytes must be at least 1024"), m);
        assertTrue(m.contains("ioThreads must be positive"), m);
    }
}
