package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri.HostPort;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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
        assertEquals(c, c.toBuilder().build(), "an immutable record: toBuilder().build() is equal");
    }

    @Test
    void badTopicPrefixesAreRejectedByName() {
        for (String bad : new String[] {"a/+/b", "a/#", "$SYS/x", "a//b", "/a", "a/", ""}) {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> MqttConfig.builder().topicPrefix(bad).build(), bad);
            assertTrue(e.getMessage().contains("topicPrefix"), e.getMessage());
        }
        String huge = "a".repeat(70_000);
        assertTrue(assertThrows(ConfigurationException.class, () -> MqttConfig.builder().topicPrefix(huge).build())
                .getMessage().contains("65,535"));
    }

    @Test
    void everyBadSettingIsReportedAtOnceAsAConfigurationException() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> MqttConfig.builder()
                .qos(0).maxInFlight(0).sessionExpiry(Duration.ZERO).port(70_000).instanceId("a/b").build());
        for (String name : new String[] {"qos", "maxInFlight", "sessionExpiry", "port", "instanceId"}) {
            assertTrue(e.getMessage().contains(name), name + " missing from: " + e.getMessage());
        }
        assertEquals(5, e.problems().size(), e.problems().toString());
    }

    @Test
    void uriWithParametersAndCredentials() {
        MqttConfig c = MqttConfig.fromUri(
                "mqtts://svc:s3cr%40t@broker.example:9883?version=3&prefix=acme/prod&qos=2&sessionExpiry=PT10M");
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
        MqttTransport t = MqttTransport.of(c);
        assertFalse(t.describe().contains("s3cr") || t.describe().contains("svc:"), t.describe());
        assertEquals("broker.example:9883", t.host());
        assertEquals("mqtt", t.protocol());
    }

    @Test
    void durationsTakeCouriersOneSyntaxIso8601Included() {
        MqttConfig c = MqttConfig.fromUri("mqtt://h?sessionExpiry=10m&connectTimeout=500ms");
        assertEquals(Duration.ofMinutes(10), c.sessionExpiry());
        assertEquals(Duration.ofMillis(500), c.connectTimeout());
        assertEquals(Duration.ofSeconds(5), MqttConfig.fromUri("mqtt://h?connectTimeout=5s").connectTimeout());
        assertEquals(Duration.ofSeconds(5), MqttConfig.fromUri("mqtt://h?connectTimeout=PT5S").connectTimeout());
    }

    @Test
    void anAddressListIsKeptInOrderWithDefaultPorts() {
        MqttConfig c = MqttConfig.fromUri("mqtt://h1:1884,h2,[::1]:1885?prefix=x");
        assertEquals(List.of(new HostPort("h1", 1884), new HostPort("h2", 1883), new HostPort("::1", 1885)),
                c.addresses());
        assertEquals("h1:1884,h2:1883,[::1]:1885", c.brokers());
        assertEquals(List.of(new HostPort("a", 8883), new HostPort("b", 8884)),
                MqttConfig.fromUri("mqtts://a,b:8884").addresses());
        MqttTransport t = MqttTransport.of("mqtt://h1:1884,h2");
        assertTrue(t.describe().startsWith("mqtt://h1:1884,h2:1883 "), t.describe());
    }

    @Test
    void badUriParametersAreNamedAtOnceWithoutThePassword() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> MqttConfig.fromUri("mqtt://u:pw@h?version=4&bogus=1&connectTimeout=soon"));
        assertTrue(e.getMessage().contains("version") && e.getMessage().contains("bogus")
                && e.getMessage().contains("connectTimeout"), e.getMessage());
        assertFalse(e.getMessage().contains(":pw@"), "the password never appears in errors: " + e.getMessage());
        assertThrows(ConfigurationException.class, () -> MqttConfig.fromUri("amqp://h"));
        assertThrows(ConfigurationException.class, () -> MqttTransport.of("mqtt://h:99999"));
    }

    @Test
    void customTrustAndKeyManagersReachTheHiveMqClient() throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        javax.net.ssl.HostnameVerifier hv = (host, session) -> true;
        for (MqttConfig.Version v : MqttConfig.Version.values()) {
            MqttConfig c = MqttConfig.builder().host("broker.example").version(v).trustManagerFactory(tmf)
                    .keyManagerFactory(kmf).hostnameVerifier(hv).build();
            assertTrue(c.tls(), "trust or key managers imply TLS");
            assertEquals(8883, c.port());
            Wire w = Wire.open(c, c.addresses().get(0), "tls-test", m -> { }, Runnable::run, x -> { });
            MqttClientSslConfig ssl = w.clientConfig().getSslConfig().orElseThrow();
            assertSame(tmf, ssl.getTrustManagerFactory().orElseThrow(), v + ": custom CA");
            assertSame(kmf, ssl.getKeyManagerFactory().orElseThrow(), v + ": client certificate (mTLS)");
            assertSame(hv, ssl.getHostnameVerifier().orElseThrow(), v + ": host name verifier");
            assertEquals("broker.example", w.clientConfig().getServerHost());
            assertEquals(8883, w.clientConfig().getServerPort());
        }
        MqttConfig plain = MqttConfig.fromUri("mqtts://b");
        Wire w = Wire.open(plain, plain.addresses().get(0), "tls-default", m -> { }, Runnable::run, x -> { });
        assertTrue(w.clientConfig().getSslConfig().isPresent(), "mqtts:// alone: TLS with the JVM's trust store");
        assertFalse(w.clientConfig().getSslConfig().orElseThrow().getTrustManagerFactory().isPresent());
        assertFalse(MqttConfig.builder().build().toString().contains("customTrust"));
    }

    @Test
    void wireAddressesForContracts() {
        MqttTransport t = MqttTransport.of(MqttConfig.builder().topicPrefix("courier").build());
        var ev = t.wireAddress(dev.courier.spi.Address.event("v1.order.placed"), "billing");
        assertEquals("courier/v1/order/placed", ev.get("topic"));
        assertEquals("$share/billing/courier/v1/order/placed", ev.get("subscription"));
        var cmd = t.wireAddress(dev.courier.spi.Address.command("v1.order.place"), "orders");
        assertEquals("$share/courier-command/courier/v1/order/place", cmd.get("subscription"));
        var dl = t.wireAddress(dev.courier.spi.Address.deadLetter("billing"), null);
        assertEquals("courier/_courier/dl/billing", dl.get("topic"));
        assertEquals("courier:billing:deadletters", dl.get("session"));
        assertThrows(ConfigurationException.class, () -> t.wireAddress(dev.courier.spi.Address.event("v1.a+b.c"), null));
    }
}
