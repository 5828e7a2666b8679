package dev.courier.test.containers;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

import java.time.Duration;
import java.util.Map;

/**
 * The running side of a {@link BrokerContainer}: the only class that touches Testcontainers, so the
 * rest of the test kit loads without it. Internal.
 */
final class Started {
    private final GenericContainer<?> container;

    private Started(GenericContainer<?> container) {
        this.container = container;
    }

    static Started start(BrokerContainer spec) {
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(spec.image()))
                .withExposedPorts(spec.containerPort())
                .withEnv(spec.environment())
                .waitingFor(Wait.forLogMessage(spec.readyLogLine() + "\\n", spec.readyLogTimes())
                        .withStartupTimeout(Duration.ofMinutes(2)));
        for (Map.Entry<String, String> f : spec.files().entrySet()) {
            c.withCopyToContainer(Transferable.of(f.getValue()), f.getKey());
        }
        c.start();
        return new Started(c);
    }

    String host() {
        return container.getHost();
    }

    int port() {
        return container.getFirstMappedPort();
    }

    void stop() {
        container.stop();
    }
}
