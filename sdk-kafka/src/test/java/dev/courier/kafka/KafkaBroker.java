package dev.courier.kafka;

import dev.courier.kit.BrokerControl;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Finds the Kafka broker the tests run against, in this order: env {@code COURIER_KAFKA_BOOTSTRAP}; a broker
 * on 127.0.0.1:9092 if it accepts a connection (started by {@code .ci/kafka.sh start}, which .ci/run does);
 * otherwise the tests are skipped with how to start one — except with {@code CI=true}, where a missing
 * broker fails them. (Testcontainers' Kafka module would be the third choice where Docker works; this
 * machine has no Docker engine, so the branch is not wired.) Also removes a test's topics and groups.
 */
final class KafkaBroker {
    private static String found;

    private KafkaBroker() {
    }

    static synchronized String bootstrap() {
        if (found != null) {
            return found;
        }
        String env = System.getenv("COURIER_KAFKA_BOOTSTRAP");
        if (env != null && !env.isBlank()) {
            found = env.trim();
            return found;
        }
        if (accepts("127.0.0.1", 9092)) {
            found = "127.0.0.1:9092";
            return found;
        }
        String how = "no Kafka broker: set COURIER_KAFKA_BOOTSTRAP=host:port, or run `bash .ci/kafka.sh start`"
                + " (a single-node KRaft broker from Maven Central on 127.0.0.1:9092, no Docker)";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(how + " — CI=true, so a missing broker is a failure");
        }
        assumeTrue(false, how);
        return null;
    }

    static KafkaConfig config(String prefix) {
        return KafkaConfig.builder(bootstrap()).prefix(prefix).partitions(2).build();
    }

    static String uri(String prefix) {
        return "kafka://" + bootstrap() + "?prefix=" + prefix + "&partitions=2";
    }

    /** Deletes every topic and consumer group whose name starts with {@code prefix.}. */
    static void deleteNamespace(String prefix) {
        try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            List<String> topics = a.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(prefix + ".")).toList();
            if (!topics.isEmpty()) {
                a.deleteTopics(topics).all().get(10, TimeUnit.SECONDS);
            }
            List<String> groups = a.listGroups().all().get(10, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
                    .filter(g -> g.startsWith(prefix + ".")).toList();
            if (!groups.isEmpty()) {
                try {
                    a.deleteConsumerGroups(groups).all().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a group whose member is still leaving; its offsets expire with the broker's retention
                }
            }
        } catch (Exception e) {
            System.err.println("could not delete the Kafka namespace " + prefix + ": " + e);
        }
    }

    static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The repository's .ci/kafka.sh, found from the module's working directory. */
    static Path script() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path s = p.resolve(".ci/kafka.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        return null;
    }

    /**
     * A broker of the test's own on {@code port} (not the shared one on 9092), stopped and started by
     * the pid .ci/kafka.sh started.
     */
    static BrokerControl own(int port) {
        return new BrokerControl() {
            @Override
            public String unavailableReason() {
                return script() == null ? "no .ci/kafka.sh above " + Path.of("").toAbsolutePath() : null;
            }

            @Override
            public void stop() {
                run("stop", port);
            }

            @Override
            public void start() {
                run("start", port);
            }
        };
    }

    static void run(String command, int port) {
        run(command, port, Map.of());
    }

    /** As {@link #run(String, int)}, with more settings of .ci/kafka.sh (e.g. the SSL listener's). */
    static void run(String command, int port, Map<String, String> env) {
        try {
            ProcessBuilder pb = new ProcessBuilder("bash", script().toString(), command).redirectErrorStream(true);
            pb.environment().put("COURIER_KAFKA_PORT", Integer.toString(port));
            pb.environment().putAll(env);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(".ci/kafka.sh " + command + " on port " + port + " failed: " + out);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
