package dev.courier.kafka;

import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * {@code KafkaConfig.Builder.sslContext}: the caller's trust material reaches kafka-clients through
 * {@link KafkaSslEngineFactory}. Against a real broker of this test's own with an SSL listener ({@code .ci/kafka.sh}
 * with {@code COURIER_KAFKA_SSL_PORT}: plaintext on 19192, SSL on 19194, its own data dir, stopped by its pid) and a
 * self-signed certificate for 127.0.0.1 made with the JDK's keytool: a transport whose context trusts that
 * certificate publishes and consumes over TLS; one whose context trusts another certificate, or that has no
 * context (the JVM's trust), is refused with a {@link CourierException} that says the TLS handshake failed.
 */
class KafkaTlsTest {
    private static final int PORT = 19192;
    private static final int SSL_PORT = 19194;
    private static final char[] PASS = "changeit".toCharArray();

    @TempDir
    static Path dir;
    private static SSLContext trusting;
    private static SSLContext trustingAnother;
    private static boolean started;

    @BeforeAll
    static void brokerWithAnSslListener() throws Exception {
        KafkaBroker.bootstrap(); // the shared broker decides whether Kafka tests run here at all
        if (KafkaBroker.script() == null) {
            abort("no .ci/kafka.sh above " + Path.of("").toAbsolutePath());
        }
        KeyStore broker = keyPair("broker.p12", "SAN=ip:127.0.0.1,dns:localhost");
        KeyStore other = keyPair("other.p12", "SAN=ip:127.0.0.1,dns:localhost");
        trusting = clientTrusting(broker);
        trustingAnother = clientTrusting(other);
        KafkaBroker.run("stop", PORT, Map.of()); // a broker an interrupted run left on these ports, by its pid
        KafkaBroker.run("start", PORT, Map.of("COURIER_KAFKA_SSL_PORT", Integer.toString(SSL_PORT),
                "COURIER_KAFKA_SSL_KEYSTORE", dir.resolve("broker.p12").toString(), "COURIER_KAFKA_SSL_PASSWORD", "changeit"));
        started = true;
    }

    @AfterAll
    static void stopBroker() {
        if (started) {
            KafkaBroker.run("stop", PORT, Map.of());
        }
    }

    private static KeyStore keyPair(String file, String san) throws Exception {
        Path ks = dir.resolve(file);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        if (!Files.isExecutable(Path.of(keytool))) {
            fail("the TLS test needs the JDK's keytool, not found at " + keytool);
        }
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", san, "-validity", "2", "-storetype", "PKCS12", "-keystore", ks.toString(),
                "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool could not make a certificate: " + out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            keys.load(in, PASS);
        }
        return keys;
    }

    /** A client context that trusts only the certificate in {@code keys} (a private CA of one). */
    private static SSLContext clientTrusting(KeyStore keys) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("broker", keys.getCertificate("broker"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }

    private static KafkaConfig.Builder tlsConfig(String prefix) {
        return KafkaConfig.builder("127.0.0.1:" + SSL_PORT).prefix(prefix).partitions(1);
    }

    @Test
    void aContextThatTrustsTheBrokersCertificatePublishesAndConsumesOverTls() throws Exception {
        String prefix = "tls" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        KafkaConfig config = tlsConfig(prefix).sslContext(trusting).build();
        assertTrue(config.tls(), "a context implies TLS");
        assertEquals("SSL", config.securityProtocol());
        assertTrue(config.toString().contains("(custom SSLContext)"), config.toString());
        try (KafkaTransport t = KafkaTransport.of(config)) {
            t.start(new TransportContext("tlsservice", "i1", Duration.ofSeconds(30)));
            assertTrue(t.isConnected());
            CompletableFuture<String> got = new CompletableFuture<>();
            TransportSubscription sub = t.subscribe(Address.event("v1.tls.ping"), "tlsservice", 10, (Delivery d) -> {
                got.complete(new String(d.body(), StandardCharsets.UTF_8) + " " + d.headers().get(Headers.ID));
                d.ack();
            });
            Map<String, String> h = new HashMap<>();
            h.put(Headers.ID, "tls-1");
            h.put(Headers.TYPE, "v1.tls.ping");
            h.put(Headers.SOURCE, "test");
            h.put(Headers.SPECVERSION, "1.0");
            h.put(Headers.DATACONTENTTYPE, "application/json");
            t.publish(Address.event("v1.tls.ping"), h, "{\"over\":\"tls\"}".getBytes(StandardCharsets.UTF_8))
                    .get(30, TimeUnit.SECONDS);
            assertEquals("{\"over\":\"tls\"} tls-1", got.get(30, TimeUnit.SECONDS));
            sub.close();
        } finally {
            deleteNamespace(prefix);
        }
    }

    @Test
    void aContextThatTrustsAnotherCertificateIsRefusedSayingTheHandshakeFailed() {
        // a handshake refused is not retried: no attempt after it can pass (start fails at once, not at its timeout)
        CourierException e = assertThrows(ConfigurationException.class, () -> start(tlsConfig("tlswrong")
                .sslContext(trustingAnother).build()));
        assertHandshakeFailure(e);
    }

    @Test
    void withoutAContextTheJvmsTrustRefusesASelfSignedBroker() {
        CourierException e = assertThrows(ConfigurationException.class, () -> start(tlsConfig("tlsnone").tls(true).build()));
        assertHandshakeFailure(e);
    }

    /** Starts (start timeout 5 s) and closes a transport; what start throws is the test's. */
    private static void start(KafkaConfig config) {
        long t0 = System.nanoTime();
        try (KafkaTransport t = KafkaTransport.of(config)) {
            t.start(new TransportContext("tlsservice", "i1", Duration.ofSeconds(5)).withStartTimeout(Duration.ofSeconds(5)));
        } catch (RuntimeException e) {
            System.out.printf("KafkaTlsTest: start failed after %d ms: %s%n", (System.nanoTime() - t0) / 1_000_000, e);
            throw e;
        }
    }

    private static void assertHandshakeFailure(CourierException e) {
        String text = e.getMessage();
        assertTrue(text.contains("127.0.0.1:" + SSL_PORT), "names the broker: " + text);
        assertTrue(text.contains("SSL handshake failed"), "says the TLS handshake failed: " + text);
    }

    @Test
    void theFactoryMakesEnginesFromTheGivenContextAndChecksTheHostName() throws Exception {
        KafkaSslEngineFactory f = new KafkaSslEngineFactory();
        f.configure(Map.of(KafkaSslEngineFactory.CONTEXT_PROPERTY, trusting));
        SSLEngine client = f.createClientSslEngine("broker1", 9093, "https");
        assertTrue(client.getUseClientMode());
        assertEquals("broker1", client.getPeerHost());
        assertEquals("https", client.getSSLParameters().getEndpointIdentificationAlgorithm());
        assertNull(f.createClientSslEngine("broker1", 9093, "").getSSLParameters().getEndpointIdentificationAlgorithm(),
                "an empty ssl.endpoint.identification.algorithm turns the name check off, as in kafka-clients");
        assertFalse(f.createServerSslEngine("client", 1234).getUseClientMode());
        assertTrue(f.shouldBeRebuilt(Map.of(KafkaSslEngineFactory.CONTEXT_PROPERTY, trustingAnother)));
        assertFalse(f.shouldBeRebuilt(Map.of(KafkaSslEngineFactory.CONTEXT_PROPERTY, trusting)));

        Exception none = assertThrows(org.apache.kafka.common.config.ConfigException.class,
                () -> new KafkaSslEngineFactory().configure(Map.of()));
        assertTrue(none.getMessage().contains(KafkaSslEngineFactory.CONTEXT_PROPERTY), none.getMessage());

        KafkaConfig config = KafkaConfig.builder("h:9093").sslContext(trusting).build();
        assertEquals(Map.of("ssl.engine.factory.class", KafkaSslEngineFactory.class,
                KafkaSslEngineFactory.CONTEXT_PROPERTY, trusting), config.sslContextProperties());
        assertEquals(Map.of(), KafkaConfig.builder("h:9093").tls(true).build().sslContextProperties());
    }

    @Test
    void aContextAndTrustStorePropertiesTogetherAreAConfigurationError() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> KafkaConfig.builder("h:9093")
                .sslContext(trusting).property("ssl.truststore.location", "/etc/ca.p12")
                .property("ssl.engine.factory.class", "com.acme.Factory").build());
        assertEquals(2, e.problems().size(), e.problems()::toString);
        assertTrue(e.getMessage().contains("ssl.truststore.location") && e.getMessage().contains("ssl.engine.factory.class"),
                e.getMessage());
    }

    private static void deleteNamespace(String prefix) {
        try (org.apache.kafka.clients.admin.Admin a = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", "127.0.0.1:" + PORT))) {
            List<String> topics = a.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(n -> n.startsWith(prefix + ".")).toList();
            if (!topics.isEmpty()) {
                a.deleteTopics(topics).all().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("could not delete " + prefix + ".*: " + e);
        }
    }
}
