package dev.courier.mqtt;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings are checked at build() and every bad one is named; credentials never show. No broker needed. */
class MqttConfigTest {

    @Test
    void defaults() {
        MqttConfig c = MqttConfig.builder().build();
        assertEquals("localhost", c.host());
        assertEquals(1883, c.port());
        assertEquals(MqttConfig.Version.V5, c.version());
        assertEquals("courier", c.topicPrefix());
        assertEquals(1, c.qos());
        assertEquals(MqttConfig.DEFAULT_SESSION_EXPIRY, c.sessionExpiry());
        assertEquals(8883, MqttConfig.builder().tls(true).build().port());
    }

    @Test
    void badTopicPrefixesAreRejectedByName() {
        for (String bad : new String[] {"a/+/b", "a/#", "$SYS/x", "a//b", "/a", "a/", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MqttConfig.builder().topicPrefix(bad).build(), bad);
            assertTrue(e.getMessage().contains("topicPrefix"), e.getMessage());
        }
        String huge = "a".repeat(70_000);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MqttConfig.builder().topicPrefix(huge).build())
                .getMessage().contains("65,535"));
    }

    @Test
    void everyBadSettingIsReportedAtOnce() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MqttConfig.builder()
                .qos(0).maxInFlight(0).sessionExpiry(Duration.ZERO).port(70_000).instanceId("a/b").build());
        for (String name : new String[] {"qos", "maxInFlight", "sessionExpiry", "port", "instanceId"}) {
            assertTrue(e.getMessage().contains(name), name + " missing from: " + e.getMessage());
        }
    }

    @Test
    void uriWithParametersAndCredentials() {
        MqttConfig c = MqttConfig.fromUri(URI.create(
                "mqtts://svc:s3cr%40t@broker.example:9883?version=3&prefix=acme/prod&qos=2&sessionExpiry=PT10M"));
        assertTrue(c.tls());
        assertEquals("broker.example", c.host());
        assertEquals(9883, c.port());
        assertEquals(MqttConfig.Version.V3_1_1, c.version());
        assertEquals("acme/prod", c.topicPrefix());
        assertEquals(2, c.qos());
        assertEquals(Duration.ofMinutes(10), c.sessionExpiry());
        assertEquals("svc", c.username());
        assertEquals("s3cr@t", c.password());
        assertFalse(c.toString().contains("s3cr"), "toString never shows the password: " + c);
        MqttTransport t = MqttTransport.create(c);
        assertFalse(t.describe().contains("s3cr") || t.describe().contains("svc:"), t.describe());
        assertEquals("broker.example:9883", t.host());
        assertEquals("mqtt", t.protocol());
    }

    @Test
    void badUriParametersAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MqttConfig.fromUri(URI.create("mqtt://u:pw@h?version=4&bogus=1")));
        assertTrue(e.getMessage().contains("version") && e.getMessage().contains("bogus"), e.getMessage());
        assertFalse(e.getMessage().contains("pw"), "the password never appears in errors: " + e.getMessage());
    }

    @Test
    void wireAddressesForContracts() {
        MqttTransport t = MqttTransport.create(MqttConfig.builder().topicPrefix("courier").build());
        var ev = t.wireAddress(dev.courier.spi.Address.event("v1.order.placed"), "billing");
        assertEquals("courier/v1/order/placed", ev.get("topic"));
        assertEquals("$share/billing/courier/v1/order/placed", ev.get("subscription"));
        var cmd = t.wireAddress(dev.courier.spi.Address.command("v1.order.place"), "orders");
        assertEquals("$share/courier-command/courier/v1/order/place", cmd.get("subscription"));
        var dl = t.wireAddress(dev.courier.spi.Address.deadLetter("billing"), null);
        assertEquals("courier/_courier/dl/billing", dl.get("topic"));
        assertEquals("courier:billing:deadletters", dl.get("session"));
        assertThrows(IllegalArgumentException.class, () -> t.wireAddress(dev.courier.spi.Address.event("v1.a+b.c"), null));
    }
}
