package dev.courier.test.containers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Finds out, quickly and without Testcontainers' own (slow, noisy) probing, whether a Docker engine
 * can be there at all: {@code DOCKER_HOST}, a Testcontainers {@code docker.host} setting, or one of the
 * usual sockets. When none exists the fixtures fail at once with {@link NoDockerException}; when one
 * does, Testcontainers decides.
 */
public final class DockerCheck {
    /** The sockets a local Docker (or Podman, Colima, Rancher Desktop) engine usually listens on. */
    static final List<String> SOCKETS = List.of("/var/run/docker.sock", "${HOME}/.docker/run/docker.sock",
            "${HOME}/.docker/desktop/docker.sock", "${HOME}/.colima/default/docker.sock",
            "${HOME}/.rd/docker.sock", "${XDG_RUNTIME_DIR}/podman/podman.sock", "${XDG_RUNTIME_DIR}/docker.sock");

    private DockerCheck() {
    }

    /**
     * Throws at once when no Docker engine can be there, saying what was looked for.
     *
     * @param what the fixture that needs Docker, for the message (e.g. {@code "RabbitMQ container"})
     * @throws NoDockerException when Testcontainers is not on the class path, or no engine can be found
     */
    public static void require(String what) {
        if (!testcontainersPresent()) {
            throw new NoDockerException(what + " needs Testcontainers: add org.testcontainers:testcontainers (test"
                    + " scope) to use the courier-test container fixtures");
        }
        String problem = problem(System.getenv(), System.getProperty("user.home"), p -> Files.exists(Path.of(p)));
        if (problem != null) {
            throw new NoDockerException(what + " needs a Docker engine, and " + problem + HOW_ELSE);
        }
    }

    static final String HOW_ELSE = ". Start Docker (or set DOCKER_HOST), or run the tests against brokers you"
            + " started yourself: COURIER_AMQP_URI, COURIER_MQTT_URI, COURIER_POSTGRES_URL, COURIER_MARIADB_URL,"
            + " or the local default ports (5672, 1883, 5432, 3306).";

    /**
     * Why no Docker engine can be there, or null when one may be.
     *
     * @param env        the environment
     * @param userHome   the user's home directory (for {@code ~/.testcontainers.properties} and sockets)
     * @param fileExists whether a path exists
     * @return the reason, or null
     */
    static String problem(Map<String, String> env, String userHome, Predicate<String> fileExists) {
        String host = env.get("DOCKER_HOST");
        if (host != null && !host.isBlank()) {
            if (host.startsWith("unix://") && !fileExists.test(host.substring("unix://".length()))) {
                return "DOCKER_HOST is " + host + ", which does not exist";
            }
            return null;
        }
        if (userHome != null && fileExists.test(userHome + "/.testcontainers.properties")) {
            return null; // docker.host or a strategy may be configured there: let Testcontainers decide
        }
        List<String> looked = new ArrayList<>();
        for (String s : SOCKETS) {
            String path = s.replace("${HOME}", userHome == null ? "~" : userHome);
            String runtime = env.get("XDG_RUNTIME_DIR");
            if (path.contains("${XDG_RUNTIME_DIR}")) {
                if (runtime == null) {
                    continue;
                }
                path = path.replace("${XDG_RUNTIME_DIR}", runtime);
            }
            if (fileExists.test(path)) {
                return null;
            }
            looked.add(path);
        }
        return "none was found: DOCKER_HOST is not set, there is no ~/.testcontainers.properties, and none of "
                + String.join(", ", looked) + " exists";
    }

    static boolean testcontainersPresent() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, DockerCheck.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
