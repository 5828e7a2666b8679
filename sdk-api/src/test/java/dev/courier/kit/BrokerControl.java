package dev.courier.kit;

/**
 * Stops and starts the broker a transport's kit runs against, for the cases that need an outage
 * ({@link RestartsBroker}). A transport's kit subclass offers it through
 * {@link KitHarness#brokerControl()} when its tests may restart that broker (their own node, or
 * a broker they started).
 */
public interface BrokerControl {

    /**
     * Null when the broker can be stopped and started from here; otherwise why it cannot (a missing
     * tool, a remote broker). The cases are then skipped with this reason — and fail under
     * {@code CI=true}, where a restart test that cannot run must not look like a pass.
     *
     * @return null, or the reason the broker cannot be controlled here
     */
    default String unavailableReason() {
        return null;
    }

    /** Stops the broker; returns once it refuses connections. */
    void stop();

    /** Starts the broker; returns once it accepts connections again. */
    void start();

    /** Stops and starts the broker (clients see their connections drop). */
    default void restart() {
        stop();
        start();
    }
}
