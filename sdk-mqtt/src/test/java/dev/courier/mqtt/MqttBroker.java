package dev.courier.mqtt;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finds the broker the tests run against, in this order: env {@code COURIER_MQTT_URI}; Mosquitto on
 * 127.0.0.1:1883 if it accepts a connection (CI installs it with .ci/mosquitto.sh); otherwise the tests
 * are skipped with instructions — except with {@code CI=true}, where a missing broker fails them.
 * (A Testcontainers HiveMQ CE branch would go here; this machine has no Docker engine.)
 * Also stops and starts the local Mosquitto for restart tests (SIGTERM, as the issue asks): the one on
 * 127.0.0.1:1883 with /run/mosquitto/mosquitto.pid, or — with {@code COURIER_MQTT_URI} on this host —
 * a second instance of your own named by env {@code COURIER_MQTT_PID_FILE} (its pid file) and
 * {@code COURIER_MQTT_CONF} (its configuration, for starting it again), so the restart cases can run
 * without touching a Mosquitto other people use.
 */
public final class MqttBroker {
    private static final Path PID = Path.of("/run/mosquitto/mosquitto.pid");
    private static final String CONF = "/etc/mosquitto/mosquitto.conf";
    private static URI found;

    private MqttBroker() {
    }

    /** The broker URI, or skips (fails under CI=true) with how to get one. */
    public static synchronized URI uri() {
        if (found != null) {
            return found;
        }
        String env = System.getenv("COURIER_MQTT_URI");
        if (env != null && !env.isBlank()) {
            found = URI.create(env.trim());
            return found;
        }
        if (accepts("127.0.0.1", 1883)) {
            found = URI.create("mqtt://127.0.0.1:1883");
            return found;
        }
        String how = "no MQTT broker: set COURIER_MQTT_URI=mqtt://host:port, or run `bash .ci/mosquitto.sh`"
                + " (installs Courier's Mosquitto settings and starts Mosquitto on 127.0.0.1:1883)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(how + " — CI=true, so a missing broker is a failure");
        }
        assumeTrue(false, how);
        return null;
    }

    /** Settings for the test broker under a topic prefix, with a short session expiry. */
    public static MqttConfig config(MqttConfig.Version version, String prefix) {
        return MqttConfig.fromUri(uri().toString()).toBuilder().version(version).topicPrefix(prefix)
                .clientIdPrefix(prefix).sessionExpiry(Duration.ofMinutes(2)).build();
    }

    static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when the tests may restart the broker: the local Mosquitto with its pid file. */
    public static boolean restartable() {
        URI u = uri();
        return (u.getHost().equals("127.0.0.1") || u.getHost().equals("localhost")) && Files.isReadable(pidFile())
                && (System.getenv("COURIER_MQTT_URI") == null || System.getenv("COURIER_MQTT_PID_FILE") != null);
    }

    private static Path pidFile() {
        String own = System.getenv("COURIER_MQTT_PID_FILE");
        return own == null || own.isBlank() ? PID : Path.of(own.trim());
    }

    private static String conf() {
        String own = System.getenv("COURIER_MQTT_CONF");
        return own == null || own.isBlank() ? CONF : own.trim();
    }

    private static int port() {
        return uri().getPort() > 0 ? uri().getPort() : 1883;
    }

    /**
     * Skips a restart test when the broker cannot be restarted from here — except under {@code CI=true},
     * where a restart test that cannot run fails instead of looking like a pass.
     */
    public static void requireRestartable() {
        if (restartable()) {
            return;
        }
        String why = "restart tests need the local Mosquitto on 127.0.0.1:1883 with its pid file " + PID
                + " (run bash .ci/mosquitto.sh) and no COURIER_MQTT_URI, or a local one of your own named by"
                + " COURIER_MQTT_URI, COURIER_MQTT_PID_FILE and COURIER_MQTT_CONF";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + " — CI=true, so a restart test that cannot run is a failure");
        }
        assumeTrue(false, why);
    }

    /** Stops the local Mosquitto with SIGTERM (it saves its persistence file) and waits until it is gone. */
    public static void stop() throws Exception {
        Path pidFile = pidFile();
        String pid = Files.readString(pidFile).trim();
        String comm = Files.exists(Path.of("/proc/" + pid + "/comm"))
                ? Files.readString(Path.of("/proc/" + pid + "/comm")).trim() : "";
        if (!comm.equals("mosquitto")) {
            throw new IllegalStateException("pid " + pid + " in " + pidFile + " is not a running mosquitto ('" + comm
                    + "'); not stopping anything");
        }
        run("kill", "-TERM", pid);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Files.exists(Path.of("/proc/" + pid)) || accepts("127.0.0.1", port())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("mosquitto " + pid + " did not stop within 20 s");
            }
            Thread.sleep(20); // polling a process we stopped; not synchronising threads
        }
    }

    /** Starts the local Mosquitto (if not running) and waits until it accepts connections. */
    public static void start() throws Exception {
        if (!accepts("127.0.0.1", port())) {
            run("mosquitto", "-d", "-c", conf());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!accepts("127.0.0.1", port())) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("mosquitto did not accept connections within 20 s after start");
            }
            Thread.sleep(20);
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + new String(p.getInputStream().readAllBytes()));
        }
    }
}
