package dev.courier.test.containers;

/**
 * No Docker engine is reachable (or Testcontainers is not on the class path), so a container fixture
 * cannot start. Thrown at once, before anything waits, with what was looked for and what to do.
 */
public class NoDockerException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what was looked for and how to run the tests without Docker
     */
    public NoDockerException(String message) {
        super(message);
    }
}
