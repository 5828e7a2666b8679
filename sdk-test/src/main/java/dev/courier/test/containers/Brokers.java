package dev.courier.test.containers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * Finds a broker or database for a test, in this order: an explicit URI from the environment, then
 * the local default port, then a container ({@link BrokerContainer}, shared by the whole test JVM and
 * stopped when it exits), else the test is skipped — or, under {@code CI=true}, fails, because there a
 * missing broker is an error, never a silent skip.
 *
 * <pre>{@code
 * String uri = Brokers.amqp();   // COURIER_AMQP_URI, else 127.0.0.1:5672, else a RabbitMQ container
 * }</pre>
 *
 * <p>The skip is opentest4j's {@code TestAbortedException} (JUnit 5 reports it as skipped), with a
 * message that says each step and what it found.
 */
public final class Brokers {
    private static final Map<BrokerContainer.Kind, BrokerContainer> SHARED = new ConcurrentHashMap<>();

    private Brokers() {
    }

    /** @return an {@code amqp://} URI: {@code COURIER_AMQP_URI}, else 127.0.0.1:5672 as guest, else a container */
    public static String amqp() {
        return find(BrokerContainer.Kind.RABBITMQ, "COURIER_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/");
    }

    /** @return an {@code mqtt://} URI: {@code COURIER_MQTT_URI}, else 127.0.0.1:1883, else a container */
    public static String mqtt() {
        return find(BrokerContainer.Kind.MOSQUITTO, "COURIER_MQTT_URI", "mqtt://127.0.0.1:1883");
    }

    /** @return a PostgreSQL JDBC URL: {@code COURIER_POSTGRES_URL}, else 127.0.0.1:5432, else a container */
    public static String postgreSql() {
        return find(BrokerContainer.Kind.POSTGRESQL, "COURIER_POSTGRES_URL",
                "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
    }

    /** @return a MariaDB JDBC URL: {@code COURIER_MARIADB_URL}, else 127.0.0.1:3306, else a container */
    public static String mariaDb() {
        return find(BrokerContainer.Kind.MARIADB, "COURIER_MARIADB_URL", "jdbc:mariadb://127.0.0.1:3306/test?user=root");
    }

    private static String find(BrokerContainer.Kind kind, String envVar, String local) {
        return discover(kind, envVar, local, System.getenv(), Brokers::portOpen,
                k -> SHARED.computeIfAbsent(k, Brokers::startShared).uri());
    }

    /**
     * The discovery itself, with its inputs passed in (tests run it without brokers or Docker).
     *
     * @param kind      what is looked for
     * @param envVar    the environment variable that names it
     * @param local     the URI of the local default
     * @param env       the environment
     * @param portOpen  whether a local port accepts connections
     * @param container starts (or reuses) a container and returns its URI; may throw {@link NoDockerException}
     * @return the URI to use
     * @throws AssertionError under {@code CI=true} when nothing was found
     * @throws RuntimeException (opentest4j's {@code TestAbortedException}) otherwise when nothing was found
     */
    static String discover(BrokerContainer.Kind kind, String envVar, String local, Map<String, String> env,
                           IntPredicate portOpen, Function<BrokerContainer.Kind, String> container) {
        String explicit = env.get(envVar);
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        if (portOpen.test(kind.port)) {
            return local;
        }
        String why;
        try {
            return container.apply(kind);
        } catch (NoDockerException e) {
            why = e.getMessage();
        }
        String message = "no " + kind.label + " for this test: " + envVar + " is not set, nothing listens on 127.0.0.1:"
                + kind.port + ", and no container could start: " + why;
        if ("true".equalsIgnoreCase(env.get("CI"))) {
            throw new AssertionError(message + " (CI=true: a missing " + kind.label + " fails the build)");
        }
        throw skip(message);
    }

    private static RuntimeException skip(String message) {
        try {
            Class<?> aborted = Class.forName("org.opentest4j.TestAbortedException");
            return (RuntimeException) aborted.getConstructor(String.class).newInstance(message);
        } catch (ReflectiveOperationException | LinkageError e) {
            return new IllegalStateException(message);
        }
    }

    private static BrokerContainer startShared(BrokerContainer.Kind kind) {
        BrokerContainer c = switch (kind) {
            case RABBITMQ -> BrokerContainer.rabbitMq();
            case MOSQUITTO -> BrokerContainer.mosquitto();
            case POSTGRESQL -> BrokerContainer.postgreSql();
            case MARIADB -> BrokerContainer.mariaDb();
        };
        c.start();
        Runtime.getRuntime().addShutdownHook(new Thread(c::close, "courier-test-" + kind.name().toLowerCase()));
        return c;
    }

    static boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
