package dev.courier.kit;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.spi.Capability;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.Optional;

/**
 * What a group of kit cases needs from the running kit: the test's namespace, buses and raw
 * transports in it, capabilities and patience. {@link TransportConformanceKit} implements it; a group
 * of cases is an interface that extends this one with {@code @Test default} methods, listed in the
 * kit's {@code implements} clause, so every transport runs it.
 */
public interface KitHarness {

    /**
     * The namespace of the running test: every broker name of the test lives under it.
     *
     * @return the namespace, unique per test
     */
    String namespace();

    /**
     * A new, unstarted transport in this test's namespace (the caller starts and closes it).
     *
     * @return a new transport
     */
    Transport unstartedTransport();

    /**
     * A bus builder on a new transport in this test's namespace, with fast retries.
     *
     * @param service the service name
     * @return a builder; change it, then pass it to {@link #start}
     */
    MessageBus.Builder bus(String service);

    /**
     * Builds and starts; the kit closes it after the test.
     *
     * @param builder from {@link #bus}
     * @return the started bus
     */
    MessageBus start(MessageBus.Builder builder);

    /**
     * A started raw transport for publishing crafted messages; the kit closes it after the test.
     *
     * @return the transport, started
     */
    Transport raw();

    /**
     * Skips the case, with the reason, when the transport lacks {@code c}.
     *
     * @param c the capability the case needs
     * @param why what the case checks, for the skip message
     */
    void require(Capability c, String why);

    /**
     * Whether the transport has {@code c}: for a case whose rule has two forms, one per answer.
     *
     * @param c the capability
     * @return true when the transport declares it (after connecting, if it learns it then)
     */
    boolean has(Capability c);

    /**
     * How long any one wait may take on this broker.
     *
     * @return the longest single wait
     */
    Duration patience();

    /**
     * A short, fast retry policy: 2 immediate attempts, 1 redelivery after 300 ms.
     *
     * @return the policy
     */
    RetryPolicy fastRetries();

    /**
     * A URI for {@code MessageBus.Builder.transport(String)} whose broker names live in this test's
     * namespace, for the cases that start a bus in a child JVM ({@code memory:<namespace>},
     * {@code amqp://…} with the namespace, …). Empty skips those cases, with the reason.
     *
     * @return the URI, or empty (the default)
     */
    default Optional<String> transportUri() {
        return Optional.empty();
    }

    /**
     * Stops and starts the broker for the {@link RestartsBroker} cases (an outage, a restart). Empty
     * (the default) skips them with the reason; memory has no broker to restart.
     *
     * @return the control, or empty (the default)
     */
    default Optional<BrokerControl> brokerControl() {
        return Optional.empty();
    }

    /**
     * The broker control, or skips the case with the reason when there is none. When the transport
     * offers one that cannot work here ({@link BrokerControl#unavailableReason()}), the case is
     * skipped too — except under {@code CI=true}, where it fails.
     *
     * @param why what the case checks, for the skip message
     * @return the usable broker control
     */
    BrokerControl requireBrokerControl(String why);

    /**
     * A new {@link NetworkFault} proxy in front of this test's broker, accepting and forwarding; the
     * kit heals it before the test's transports close and closes it after them. Skips the case, with
     * the reason, when the transport's kit cannot route a transport through a proxy
     * ({@code brokerAddress()} or {@code newTransportVia()} of {@link TransportConformanceKit} give null).
     *
     * @param why what the case checks, for the skip message
     * @return the running proxy
     */
    NetworkFault networkFault(String why);

    /**
     * A new, unstarted transport in this test's namespace that reaches its broker through
     * {@code fault} (the caller starts it; the kit closes it after the test).
     *
     * @param fault a proxy from {@link #networkFault}
     * @return the transport
     */
    Transport unstartedTransportVia(NetworkFault fault);
}
