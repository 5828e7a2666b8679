package dev.courier.test.containers;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The container fixtures' configuration, URIs, Docker check and discovery — none of it needs Docker. */
class BrokerContainerTest {

    @Test
    void eachContainerHandsBackTheUriCourierTakes() {
        assertEquals("amqp://courier:courier@localhost:32768/", BrokerContainer.rabbitMq().uriFor("localhost", 32768));
        assertEquals("mqtt://localhost:32769", BrokerContainer.mosquitto().uriFor("localhost", 32769));
        assertEquals("jdbc:postgresql://localhost:5432/test?user=courier&password=courier",
                BrokerContainer.postgreSql().uriFor("localhost", 5432));
        assertEquals("jdbc:mariadb://10.0.0.5:3306/test?user=courier&password=courier",
                BrokerContainer.mariaDb().uriFor("10.0.0.5", 3306));
        assertEquals("mqtt://[::1]:1883", BrokerContainer.mosquitto().uriFor("::1", 1883), "IPv6 hosts in brackets");
    }

    @Test
    void containersAreConfiguredTheWayCourierNeedsThem() {
        BrokerContainer rabbit = BrokerContainer.rabbitMq();
        assertEquals(5672, rabbit.containerPort());
        assertEquals("courier", rabbit.environment().get("RABBITMQ_DEFAULT_USER"), "not guest: guest may only log in from localhost");
        String conf = BrokerContainer.mosquitto().files().get("/mosquitto/config/mosquitto.conf");
        assertTrue(conf.contains("listener 1883") && conf.contains("allow_anonymous true"),
                "Mosquitto 2 listens only locally and refuses anonymous clients unless told: " + conf);
        assertTrue(conf.contains("max_queued_messages 10000000"), "Courier's queue limit (see .ci/mosquitto-courier.conf)");
        assertEquals(Map.of("POSTGRES_USER", "courier", "POSTGRES_PASSWORD", "courier", "POSTGRES_DB", "test"),
                BrokerContainer.postgreSql().environment());
        assertEquals("test", BrokerContainer.mariaDb().environment().get("MARIADB_DATABASE"));
        assertEquals(2, BrokerContainer.postgreSql().readyLogTimes(), "PostgreSQL is ready the second time it says so");
        assertEquals("rabbitmq:4.1-alpine", BrokerContainer.rabbitMq().withImage("rabbitmq:4.1-alpine").image());
    }

    @Test
    void aContainerThatDoesNotRunHasNoUriAndABrokerHasNoDataSource() {
        IllegalStateException notRunning = assertThrows(IllegalStateException.class, () -> BrokerContainer.rabbitMq().uri());
        assertTrue(notRunning.getMessage().contains("start()"), notRunning.getMessage());
        IllegalStateException notDb = assertThrows(IllegalStateException.class, () -> BrokerContainer.mosquitto().dataSource());
        assertTrue(notDb.getMessage().contains("not a database"), notDb.getMessage());
        BrokerContainer.rabbitMq().close(); // closing one that never ran is fine
    }

    @Test
    void withoutADockerEngineStartFailsAtOnceSayingWhatToDo() {
        assumeTrue(DockerCheck.problem(System.getenv(), System.getProperty("user.home"), p -> Files.exists(Path.of(p))) != null,
                "this machine may have a Docker engine; the no-Docker message is checked where there is none");
        long start = System.nanoTime();
        NoDockerException e = assertThrows(NoDockerException.class, () -> BrokerContainer.rabbitMq().start());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 2_000, "fails fast, took " + millis + " ms");
        String m = e.getMessage();
        assertTrue(m.startsWith("RabbitMQ container (rabbitmq:3.13-alpine) needs a Docker engine"), m);
        assertTrue(m.contains("/var/run/docker.sock") && m.contains("DOCKER_HOST"), "says what it looked for: " + m);
        assertTrue(m.contains("COURIER_AMQP_URI"), "says how to run without Docker: " + m);
    }

    @Test
    void theDockerCheckLooksAtDockerHostTheTestcontainersSettingsAndTheUsualSockets() {
        Set<String> none = Set.of();
        String missing = DockerCheck.problem(Map.of(), "/home/u", none::contains);
        assertTrue(missing.contains("DOCKER_HOST is not set") && missing.contains("/var/run/docker.sock")
                && missing.contains("/home/u/.docker/run/docker.sock"), missing);
        assertNull(DockerCheck.problem(Map.of("DOCKER_HOST", "tcp://10.0.0.2:2375"), "/home/u", none::contains));
        assertTrue(DockerCheck.problem(Map.of("DOCKER_HOST", "unix:///run/nope.sock"), "/home/u", none::contains)
                .contains("/run/nope.sock, which does not exist"));
        assertNull(DockerCheck.problem(Map.of(), "/home/u", Set.of("/var/run/docker.sock")::contains));
        assertNull(DockerCheck.problem(Map.of(), "/home/u", Set.of("/home/u/.testcontainers.properties")::contains));
        assertNull(DockerCheck.problem(Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), "/home/u",
                Set.of("/run/user/1000/podman/podman.sock")::contains), "Podman's socket counts");
    }

    @Test
    void discoveryTakesTheEnvironmentThenTheLocalPortThenAContainer() {
        AtomicInteger containers = new AtomicInteger();
        java.util.function.Function<BrokerContainer.Kind, String> container = k -> {
            containers.incrementAndGet();
            return "amqp://courier:courier@localhost:40000/";
        };
        assertEquals("amqp://me@rabbit/", Brokers.discover(BrokerContainer.Kind.RABBITMQ, "COURIER_AMQP_URI", "amqp://local/",
                Map.of("COURIER_AMQP_URI", "amqp://me@rabbit/"), port -> true, container));
        assertEquals("amqp://local/", Brokers.discover(BrokerContainer.Kind.RABBITMQ, "COURIER_AMQP_URI", "amqp://local/",
                Map.of(), port -> port == 5672, container));
        assertEquals(0, containers.get(), "no container while something else is there");
        assertEquals("amqp://courier:courier@localhost:40000/", Brokers.discover(BrokerContainer.Kind.RABBITMQ,
                "COURIER_AMQP_URI", "amqp://local/", Map.of(), port -> false, container));
        assertEquals(1, containers.get());
    }

    @Test
    void withNothingFoundDiscoverySkipsTheTestOrFailsItUnderCi() {
        java.util.function.Function<BrokerContainer.Kind, String> noDocker = k -> {
            throw new NoDockerException("Mosquitto container needs a Docker engine, and none was found");
        };
        TestAbortedException skipped = assertThrows(TestAbortedException.class, () -> Brokers.discover(
                BrokerContainer.Kind.MOSQUITTO, "COURIER_MQTT_URI", "mqtt://local", Map.of(), port -> false, noDocker));
        assertTrue(skipped.getMessage().contains("COURIER_MQTT_URI is not set")
                && skipped.getMessage().contains("nothing listens on 127.0.0.1:1883")
                && skipped.getMessage().contains("none was found"), skipped.getMessage());
        AssertionError failed = assertThrows(AssertionError.class, () -> Brokers.discover(BrokerContainer.Kind.MOSQUITTO,
                "COURIER_MQTT_URI", "mqtt://local", Map.of("CI", "true"), port -> false, noDocker));
        assertTrue(failed.getMessage().contains("CI=true"), failed.getMessage());
    }
}
