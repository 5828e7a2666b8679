package dev.courier.test.containers;

import java.sql.DriverManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * A broker or database in a Docker container (Testcontainers), configured the way Courier needs it,
 * that hands back a ready Courier URI or a {@link DataSource}:
 *
 * <pre>{@code
 * try (BrokerContainer rabbit = BrokerContainer.rabbitMq().start()) {
 *     MessageBus bus = MessageBus.builder("ordering").transport(rabbit.uri()) ... ;
 * }
 * }</pre>
 *
 * <p>Needs {@code org.testcontainers:testcontainers} on the test class path and a Docker engine;
 * without either, {@link #start()} throws {@link NoDockerException} at once, saying what is missing.
 * For tests that should use a local broker first, see {@link Brokers}.
 */
public final class BrokerContainer implements AutoCloseable {

    /** The four kinds of container. */
    public enum Kind {
        /** RabbitMQ, for courier-amqp. */
        RABBITMQ("RabbitMQ", "rabbitmq:3.13-alpine", 5672),
        /** Eclipse Mosquitto with Courier's settings, for courier-mqtt. */
        MOSQUITTO("Mosquitto", "eclipse-mosquitto:2.0", 1883),
        /** PostgreSQL, for courier-jdbc. */
        POSTGRESQL("PostgreSQL", "postgres:16-alpine", 5432),
        /** MariaDB, for courier-jdbc. */
        MARIADB("MariaDB", "mariadb:11.4", 3306);

        final String label;
        final String defaultImage;
        final int port;

        Kind(String label, String defaultImage, int port) {
            this.label = label;
            this.defaultImage = defaultImage;
            this.port = port;
        }
    }

    /** The user and password of every container's broker or database (never use these outside tests). */
    public static final String USER = "courier";
    /** The password that goes with {@link #USER}. */
    public static final String PASSWORD = "courier";
    /** The database the two database containers create. */
    public static final String DATABASE = "test";

    /** The Mosquitto configuration the container runs with: one anonymous listener and Courier's queue limits. */
    static final String MOSQUITTO_CONF = String.join("\n",
            "listener 1883",
            "allow_anonymous true",
            "max_queued_messages 10000000",
            "max_queued_bytes 1073741824",
            "max_inflight_messages 1000",
            "queue_qos0_messages false",
            "persistence false",
            "");

    private final Kind kind;
    private String image;
    private volatile Started running;

    private BrokerContainer(Kind kind) {
        this.kind = kind;
        this.image = kind.defaultImage;
    }

    /** @return a RabbitMQ container (user {@value #USER}) for {@code amqp://} URIs */
    public static BrokerContainer rabbitMq() {
        return new BrokerContainer(Kind.RABBITMQ);
    }

    /** @return a Mosquitto 2 container with the settings Courier needs, for {@code mqtt://} URIs */
    public static BrokerContainer mosquitto() {
        return new BrokerContainer(Kind.MOSQUITTO);
    }

    /** @return a PostgreSQL container with the database {@value #DATABASE} */
    public static BrokerContainer postgreSql() {
        return new BrokerContainer(Kind.POSTGRESQL);
    }

    /** @return a MariaDB container with the database {@value #DATABASE} */
    public static BrokerContainer mariaDb() {
        return new BrokerContainer(Kind.MARIADB);
    }

    /**
     * @param image another image of the same software, e.g. {@code rabbitmq:4.1-alpine}
     * @return this container
     */
    public BrokerContainer withImage(String image) {
        if (running != null) {
            throw new IllegalStateException("the container is already running");
        }
        this.image = Objects.requireNonNull(image, "image");
        return this;
    }

    /** @return what runs in the container */
    public Kind kind() {
        return kind;
    }

    /** @return the image the container runs */
    public String image() {
        return image;
    }

    /** @return the port inside the container (mapped to a free port on the host) */
    public int containerPort() {
        return kind.port;
    }

    /** @return the environment the container gets */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        switch (kind) {
            case RABBITMQ -> {
                env.put("RABBITMQ_DEFAULT_USER", USER);
                env.put("RABBITMQ_DEFAULT_PASS", PASSWORD);
            }
            case POSTGRESQL -> {
                env.put("POSTGRES_USER", USER);
                env.put("POSTGRES_PASSWORD", PASSWORD);
                env.put("POSTGRES_DB", DATABASE);
            }
            case MARIADB -> {
                env.put("MARIADB_USER", USER);
                env.put("MARIADB_PASSWORD", PASSWORD);
                env.put("MARIADB_ROOT_PASSWORD", PASSWORD);
                env.put("MARIADB_DATABASE", DATABASE);
            }
            case MOSQUITTO -> { }
        }
        return env;
    }

    /** @return files copied into the container before it starts, by path */
    public Map<String, String> files() {
        return kind == Kind.MOSQUITTO ? Map.of("/mosquitto/config/mosquitto.conf", MOSQUITTO_CONF) : Map.of();
    }

    /** @return the log line that says the server is ready */
    public String readyLogLine() {
        return switch (kind) {
            case RABBITMQ -> ".*Server startup complete.*";
            case MOSQUITTO -> ".*mosquitto version .* running.*";
            case POSTGRESQL -> ".*database system is ready to accept connections.*";
            case MARIADB -> ".*ready for connections.*";
        };
    }

    /** @return how often {@link #readyLogLine()} must appear (the databases start twice: init, then for real) */
    public int readyLogTimes() {
        return kind == Kind.POSTGRESQL || kind == Kind.MARIADB ? 2 : 1;
    }

    /**
     * Starts the container and waits until it is ready (at most 2 minutes).
     *
     * @return this container, running
     * @throws NoDockerException at once when Testcontainers or a Docker engine is missing
     */
    public synchronized BrokerContainer start() {
        if (running == null) {
            DockerCheck.require(kind.label + " container (" + image + ")");
            running = Started.start(this);
        }
        return this;
    }

    /**
     * @return the Courier transport URI ({@code amqp://…}, {@code mqtt://…}) or, for a database,
     *         the JDBC URL with user and password
     * @throws IllegalStateException when the container is not running
     */
    public String uri() {
        Started r = running;
        if (r == null) {
            throw new IllegalStateException(kind.label + " container is not running: call start() first");
        }
        return uriFor(r.host(), r.port());
    }

    /**
     * The URI for this kind of container at a host and port — what {@link #uri()} returns once the
     * container runs.
     *
     * @param host the host the container's port is reachable on
     * @param port the mapped port
     * @return the Courier URI, or the JDBC URL for a database
     */
    public String uriFor(String host, int port) {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host; // IPv6
        return switch (kind) {
            case RABBITMQ -> "amqp://" + USER + ":" + PASSWORD + "@" + h + ":" + port + "/";
            case MOSQUITTO -> "mqtt://" + h + ":" + port;
            case POSTGRESQL -> "jdbc:postgresql://" + h + ":" + port + "/" + DATABASE + "?user=" + USER + "&password="
                    + PASSWORD;
            case MARIADB -> "jdbc:mariadb://" + h + ":" + port + "/" + DATABASE + "?user=" + USER + "&password="
                    + PASSWORD;
        };
    }

    /**
     * A {@link DataSource} on the database (through {@link DriverManager}: add the driver,
     * {@code org.postgresql:postgresql} or {@code org.mariadb.jdbc:mariadb-java-client}, to the test
     * class path). No pooling: wrap it in your pool for load tests.
     *
     * @return the data source
     * @throws IllegalStateException for a broker container, or when the container is not running
     */
    public DataSource dataSource() {
        if (kind != Kind.POSTGRESQL && kind != Kind.MARIADB) {
            throw new IllegalStateException(kind.label + " is not a database: use uri()");
        }
        return new UrlDataSource(uri());
    }

    /** Stops and removes the container. Idempotent. */
    @Override
    public synchronized void close() {
        Started r = running;
        running = null;
        if (r != null) {
            r.stop();
        }
    }

    @Override
    public String toString() {
        Started r = running;
        return kind.label + " container " + image + (r == null ? " (not running)" : " at " + uriFor(r.host(), r.port()));
    }
}
