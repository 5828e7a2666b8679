package dev.courier.websocket.hub;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;

/** A self-signed certificate for 127.0.0.1 made with the JDK's keytool, and contexts for both ends. */
final class TestTls {
    private TestTls() {
    }

    /**
     * A tool the test needs: without it the test is skipped with the reason — except under
     * {@code CI=true}, where a skip would look like a pass, so it fails (issue 10.11).
     */
    static void require(boolean present, String why) {
        if (present) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            org.junit.jupiter.api.Assertions.fail(why + " — under CI=true a missing tool fails the build");
        }
        org.junit.jupiter.api.Assumptions.abort(why);
    }

    static SSLContext[] serverAndClient(Path dir) throws Exception {
        Path ks = dir.resolve("hub.p12");
        String keytool = System.getProperty("courier.test.keytool",
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        require(Files.isExecutable(Path.of(keytool)), "the TLS test needs the JDK's keytool, not found at " + keytool);
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "hub", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2",
                "-storetype", "PKCS12", "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        require(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool (" + keytool + ") could not make a"
                + " certificate: " + out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            keys.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "changeit".toCharArray());
        SSLContext server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        Certificate cert = keys.getCertificate("hub");
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("hub", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        return new SSLContext[] {server, client};
    }
}
