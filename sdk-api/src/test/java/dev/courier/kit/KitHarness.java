package dev.courier.kit;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.spi.Capability;
import dev.courier.spi.Transport;

import java.time.Duration;

/**
 * What a group of kit cases needs from the running kit: the test's namespace, buses and raw
 * transports in it, capabilities and patience. {@link TransportConformanceKit} implements it; a group
 * of cases is an interface that extends this one with {@code @Test default} methods, listed in the
 * kit's {@code implements} clause, so every transport runs it.
 */
public interface KitHarness {

    /** The namespace of the running test: every broker name of the test lives under it. */
    String namespace();

    /** A new, unstarted transport in this test's namespace (the caller starts and closes it). */
    Transport unstartedTransport();

    /** A bus builder on a new transport in this test's namespace, with fast retries. */
    MessageBus.Builder bus(String service);

    /** Builds and starts; the kit closes it after the test. */
    MessageBus start(MessageBus.Builder builder);

    /** A started raw transport for publishing crafted messages; the kit closes it after the test. */
    Transport raw();

    /** Skips the case, with the reason, when the transport lacks {@code c}. */
    void require(Capability c, String why);

    /** How long any one wait may take on this broker. */
    Duration patience();

    /** A short, fast retry policy: 2 immediate attempts, 1 redelivery after 300 ms. */
    RetryPolicy fastRetries();
}
