package dev.courier.amqp;

import dev.courier.CourierException;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * amqps:// verifies the broker's host name: against a TLS server whose certificate names only
 * {@code localhost}, connecting to {@code 127.0.0.1} fails on the name, and connecting to
 * {@code localhost} gets past the certificate (then fails, because the server speaks no AMQP).
 * Needs no broker: the server is a plain TLS socket with a throw-away self-signed certificate.
 */
class AmqpTlsTest {
    private static final char[] PASS = "changeit".toCharArray();
    private SSLServerSocket server;
    private Thread acceptor;
    private SSLContext clientContext;

    @BeforeEach
    void tlsServer(@TempDir Path dir) throws Exception {
        Path ks = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Ci.require(java.nio.file.Files.isExecutable(Path.of(keytool)), "the TLS test needs the JDK's keytool, not found"
                + " at " + keytool);
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "courier", "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Ci.require(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool (" + keytool + ") could not make a"
                + " test certificate");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            keys.load(in, PASS);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASS);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);
        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 10,
                java.net.InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                    s.getInputStream().read(new byte[8]); // the AMQP header; then hang up
                } catch (IOException e) {
                    // handshake refused by the client, or closed
                }
            }
        }, "tls-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
        Certificate cert = keys.getCertificate("courier");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("courier", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private String failureConnectingTo(String host) {
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().uri("amqps://guest:guest@" + host + ":" + server.getLocalPort() + "/")
                .sslContext(clientContext).startTimeout(Duration.ofMillis(500)).build());
        try {
            CourierException e = assertThrows(CourierException.class,
                    () -> t.start(new TransportContext("tls", "i", Duration.ofSeconds(2))));
            StringBuilder all = new StringBuilder(e.getMessage());
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                all.append(" | ").append(c);
            }
            return all.toString().toLowerCase(Locale.ROOT);
        } finally {
            t.close();
        }
    }

    @Test
    void aCertificateForAnotherHostNameIsRefused() {
        String why = failureConnectingTo("127.0.0.1");
        assertTrue(List.of("subject alternative", "no name matching", "hostname").stream().anyMatch(why::contains),
                "the host name must be verified: " + why);
    }

    @Test
    void theRightHostNameGetsPastTheCertificate() {
        String why = failureConnectingTo("localhost");
        assertFalse(why.contains("subject alternative") || why.contains("certificate"), "no certificate problem: " + why);
    }
}
