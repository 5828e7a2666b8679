package dev.courier.spi;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What a bus tells its transport at start: who it is and how long a publish may wait.
 *
 * @param service        the service (consumer group) name
 * @param instanceId     this bus instance, unique within the service and stable if the user set it
 * @param publishTimeout how long a publish may wait for room and for its confirm before it fails
 * @param replyAddressLost call it with a reason when this instance's reply address was lost (an
 *                       exclusive reply queue died with its connection): every request in flight
 *                       then fails at once instead of waiting for its timeout
 * @param startTimeout   how long {@link Transport#start} keeps trying to reach a broker that is down
 *                       (with the transport's jittered backoff) before it throws
 *                       {@link dev.courier.TransportConnectException}
 */
public record TransportContext(String service, String instanceId, Duration publishTimeout,
                               Consumer<String> replyAddressLost, Duration startTimeout) {
    /** How long a transport tries to reach its broker at start unless told otherwise: 30 s. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Checks that no component is null.
     *
     * @param service          the service (consumer group) name
     * @param instanceId       this bus instance
     * @param publishTimeout   how long a publish may wait for room and for its confirm
     * @param replyAddressLost called, from a transport thread, with a reason when the reply address was lost
     * @param startTimeout     how long start keeps trying to reach a broker that is down
     * @throws NullPointerException naming the null component
     */
    public TransportContext {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(publishTimeout, "publishTimeout");
        Objects.requireNonNull(replyAddressLost, "replyAddressLost");
        Objects.requireNonNull(startTimeout, "startTimeout");
    }

    /**
     * A context with the default start timeout ({@link #DEFAULT_START_TIMEOUT}).
     *
     * @param service          the service (consumer group) name; never null
     * @param instanceId       this bus instance; never null
     * @param publishTimeout   how long a publish may wait for room and for its confirm; never null
     * @param replyAddressLost called, from a transport thread, with a reason when the reply address was lost
     */
    public TransportContext(String service, String instanceId, Duration publishTimeout,
                            Consumer<String> replyAddressLost) {
        this(service, instanceId, publishTimeout, replyAddressLost, DEFAULT_START_TIMEOUT);
    }

    /**
     * This context with another start timeout.
     *
     * @param timeout how long start keeps trying to reach a broker that is down; never null
     * @return a new context
     */
    public TransportContext withStartTimeout(Duration timeout) {
        return new TransportContext(service, instanceId, publishTimeout, replyAddressLost, timeout);
    }

    /**
     * A context whose reply-address-lost signal is ignored (tools and tests).
     *
     * @param service        the service (consumer group) name; never null
     * @param instanceId     this bus instance; never null
     * @param publishTimeout how long a publish may wait for room and for its confirm; never null
     */
    public TransportContext(String service, String instanceId, Duration publishTimeout) {
        this(service, instanceId, publishTimeout, reason -> { });
    }
}
