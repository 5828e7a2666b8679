package dev.courier.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What a bus tells its transport at start: who it is and how long a publish may wait.
 *
 * @param service        the service (consumer group) name
 * @param instanceId     this bus instance, unique within the service and stable if the user set it
 * @param publishTimeout how long a publish may wait for room and for its confirm before it fails
 */
public record TransportContext(String service, String instanceId, Duration publishTimeout) {
    public TransportContext {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
    }
}
