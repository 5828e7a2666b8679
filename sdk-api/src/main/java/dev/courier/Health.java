package dev.courier;

/**
 * Whether a bus can do its job right now.
 *
 * @param state               not started, running, or closed
 * @param transportConnected  the transport reports a live connection (false once closed)
 * @param subscriptionsLive   every handler's subscription is active (false once closed)
 * @param transport           a description of the transport without credentials, or {@code closed}
 *                            after {@link MessageBus#close()} (a closed bus never asks its transport)
 */
public record Health(State state, boolean transportConnected, boolean subscriptionsLive, String transport) {

    /** Where a bus is in its life. */
    public enum State {
        /** Built, start() not called yet. */
        NOT_STARTED,
        /** start() has run and close() has not. */
        RUNNING,
        /** close() has been called; the bus cannot be started again. */
        CLOSED
    }

    /** @return true while start() has run and close() has not */
    public boolean started() {
        return state == State.RUNNING;
    }

    /** @return true once close() has been called */
    public boolean closed() {
        return state == State.CLOSED;
    }

    /** @return true when running, connected and all subscriptions are live */
    public boolean isHealthy() {
        return state == State.RUNNING && transportConnected && subscriptionsLive;
    }
}
