package dev.courier;

/**
 * Whether a bus can do its job right now.
 *
 * @param started             start() has run and close() has not
 * @param transportConnected  the transport reports a live connection
 * @param subscriptionsLive   every handler's subscription is active
 * @param transport           a description of the transport, without credentials
 */
public record Health(boolean started, boolean transportConnected, boolean subscriptionsLive, String transport) {

    /** True when started, connected and all subscriptions are live. */
    public boolean isHealthy() {
        return started && transportConnected && subscriptionsLive;
    }
}
