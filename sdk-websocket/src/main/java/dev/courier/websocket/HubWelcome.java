package dev.courier.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.spi.Capability;
import dev.courier.spi.Limits;
import dev.courier.websocket.protocol.Frames;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a hub's welcome says about it; defaults until the first welcome. {@code capabilities} are
 * its backbone's (none from a hub that does not say: an old hub); {@code backboneLimits} are what
 * its backbone carries, or null when the welcome does not say.
 */
record HubWelcome(int maxMessageBytes, int maxAttributeBytes, double messagesPerSecond,
                  Set<Capability> capabilities, Limits backboneLimits) {
    static final HubWelcome DEFAULTS = new HubWelcome(Frames.DEFAULT_MAX_MESSAGE_BYTES,
            Frames.DEFAULT_MAX_ATTRIBUTE_BYTES, Frames.DEFAULT_MESSAGES_PER_SECOND, Set.of(), null);

    static HubWelcome of(JsonNode d) {
        return new HubWelcome(d.path("maxMessageBytes").asInt(DEFAULTS.maxMessageBytes),
                d.path("maxAttributeBytes").asInt(DEFAULTS.maxAttributeBytes),
                d.path("messagesPerSecond").asDouble(DEFAULTS.messagesPerSecond), capabilitiesOf(d.get("capabilities")),
                limitsOf(d.get("limits")));
    }

    /** The welcome's {@code capabilities}: the names this client knows; none when the hub did not say. */
    private static Set<Capability> capabilitiesOf(JsonNode names) {
        EnumSet<Capability> out = EnumSet.noneOf(Capability.class);
        if (names != null && names.isArray()) {
            for (JsonNode n : names) {
                for (Capability c : Capability.values()) {
                    if (c.name().equals(n.asText())) {
                        out.add(c);
                    }
                }
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** The welcome's {@code limits} (the hub's backbone's), or null when absent or below Courier's minimums. */
    private static Limits limitsOf(JsonNode l) {
        if (l == null || !l.isObject()) {
            return null;
        }
        try {
            return new Limits(l.path("maxAttributeBytes").asInt(Integer.MAX_VALUE),
                    l.path("maxHeaderValueBytes").asInt(Integer.MAX_VALUE),
                    l.path("maxHeadersBytes").asInt(Integer.MAX_VALUE), l.path("maxBodyBytes").asInt(Integer.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            LoggerFactory.getLogger(HubWelcome.class).warn("hub sent limits below Courier's minimums ({}); ignored",
                    e.getMessage());
            return null;
        }
    }
}
