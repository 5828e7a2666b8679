package dev.courier.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The brokers of the tests: RabbitMQ on 127.0.0.1:5672 (guest/guest), Mosquitto on 127.0.0.1:1883.
 * Under {@code CI=true} a missing broker fails the test; elsewhere it is skipped, saying why.
 */
final class Brokers {
    private Brokers() {
    }

    static void require(boolean ok, String why) {
        if (ok) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(why + " (CI=true: a missing broker is a failure, never a skip)");
        }
        assumeTrue(false, why);
    }

    static boolean accepts(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void requireRabbit() {
        require(accepts(5672), "RabbitMQ not found on 127.0.0.1:5672 (guest/guest): apt-get install rabbitmq-server;"
                + " rabbitmq-server -detached");
    }

    static void requireMosquitto() {
        require(accepts(1883), "Mosquitto not found on 127.0.0.1:1883: bash .ci/mosquitto.sh");
    }
}
