package dev.courier.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The brokers of the tests: RabbitMQ on 127.0.0.1:5672 (guest/guest), Mosquitto on 127.0.0.1:1883, Kafka at
 * {@code $COURIER_KAFKA_BOOTSTRAP} (default 127.0.0.1:9092, started by {@code .ci/kafka.sh start}).
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

    /** The Kafka broker's {@code host:port}: {@code $COURIER_KAFKA_BOOTSTRAP}, else 127.0.0.1:9092. */
    static String kafkaBootstrap() {
        String env = System.getenv("COURIER_KAFKA_BOOTSTRAP");
        return env == null || env.isBlank() ? "127.0.0.1:9092" : env.trim();
    }

    static void requireKafka() {
        String b = kafkaBootstrap();
        int colon = b.lastIndexOf(':');
        boolean up;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(b.substring(0, colon), Integer.parseInt(b.substring(colon + 1))), 500);
            up = true;
        } catch (IOException | RuntimeException e) {
            up = false;
        }
        require(up, "Kafka not found at " + b + ": bash .ci/kafka.sh start (or set COURIER_KAFKA_BOOTSTRAP=host:port)");
    }
}
