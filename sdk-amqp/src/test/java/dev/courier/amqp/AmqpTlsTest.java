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
 * The trust comes from the config's {@code sslContext} (a private CA), and so does the client
 * certificate of mTLS: a server that requires one sees the config's, and a client without one is
 * refused. Needs no broker: the server is a plain TLS socket with throw-away self-signed certificates.
 */
class AmqpTlsTest {
    private static final char[] PASS = "changeit".toCharArray();
    private SSLServerSocket server;
    private Thread acceptor;
    private SSLContext clientContext;
    private SSLContext mtlsClientContext;
    /** What the server saw in each handshake: the client's certificate subject, "none", or the failure. */
    private final List<String> handshakes = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static KeyStore keyPair(Path dir, String file, String dname, String san) throws Exception {
        Path ks = dir.resolve(file);
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Ci.require(java.nio.file.Files.isExecutable(Path.of(keytool)), "the TLS test needs the JDK's keytool, not found"
                + " at " + keytool);
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "courier", "-keyalg", "RSA", "-keysize", "2048",
                "-validity", "2", "-dname", dname, "-ext", san, "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Ci.require(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool (" + keytool + ") could not make a"
                + " test certificate");
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (FileInputStream in = new FileInputStream(ks.toFile())) {
            keys.load(in, PASS);
        }
        return keys;
    }

    private static TrustManagerFactory trusting(Certificate cert) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("courier", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        return tmf;
    }

    @BeforeEach
    void tlsServer(@TempDir Path dir) throws Exception {
        KeyStore keys = keyPair(dir, "server.p12", "CN=localhost", "SAN=dns:localhost");
        KeyStore clientKeys = keyPair(dir, "client.p12", "CN=courier-client", "KU=digitalSignature");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, PASS);
        SSLContext serverContext = SSLContext.getInstance("TLS");
        // the server trusts the client's certificate; it asks for one, and whether it must have one is per test
        serverContext.init(kmf.getKeyManagers(), trusting(clientKeys.getCertificate("courier")).getTrustManagers(), null);
        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0, 10,
                java.net.InetAddress.getLoopbackAddress());
        server.setWantClientAuth(true);
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    try {
                        s.startHandshake();
                        String peer;
                        try {
                            peer = s.getSession().getPeerPrincipal().getName();
                        } catch (javax.net.ssl.SSLPeerUnverifiedException none) {
                            peer = "none";
                        }
                        handshakes.add(peer);
                        if (server.getNeedClientAuth() && "none".equals(peer)) {
                            continue; // refused: hang up
                        }
                    } catch (IOException e) {
                        handshakes.add("failed: " + e);
                        continue;
                    }
                    s.getInputStream().read(new byte[8]); // the AMQP header; then hang up
                } catch (IOException e) {
                    // handshake refused by the client, or closed
                }
            }
        }, "tls-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
        TrustManagerFactory tmf = trusting(keys.getCertificate("courier"));
        clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, tmf.getTrustManagers(), null);
        KeyManagerFactory ckmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        ckmf.init(clientKeys, PASS);
        mtlsClientContext = SSLContext.getInstance("TLS");
        mtlsClientContext.init(ckmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private String failureConnectingTo(String host) {
        return failureConnectingTo(host, clientContext);
    }

    private String failureConnectingTo(String host, SSLContext context) {
        AmqpTransport t = AmqpTransport.of(AmqpConfig.builder().uri("amqps://guest:guest@" + host + ":" + server.getLocalPort() + "/")
                .sslContext(context).startTimeout(Duration.ofMillis(500)).build());
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

    @Test
    void theClientCertificateOfTheSslContextIsPresentedForMutualTls() {
        server.setNeedClientAuth(true);
        String why = failureConnectingTo("localhost", mtlsClientContext);
        assertTrue(handshakes.contains("CN=courier-client"), "the server saw the config's client certificate: "
                + handshakes + " (client: " + why + ")");
        assertFalse(why.contains("certificate"), "no certificate problem: " + why);
    }

    @Test
    void aServerThatRequiresAClientCertificateRefusesAClientWithoutOne() {
        server.setNeedClientAuth(true);
        String why = failureConnectingTo("localhost", clientContext);
        assertFalse(handshakes.contains("CN=courier-client"), handshakes.toString());
        assertTrue(!handshakes.isEmpty() && handshakes.stream().allMatch(h -> h.startsWith("failed") || h.equals("none")),
                "no client certificate reached the server: " + handshakes + " (client: " + why + ")");
    }
}
