package dev.courier.spi;

import java.net.URI;

/**
 * Creates transports from URIs; found with {@link java.util.ServiceLoader}, so adding a transport
 * module to the class path is all it takes to use its URI scheme.
 */
public interface TransportProvider {

    /** True when this provider handles the URI's scheme. */
    boolean supports(URI uri);

    /** A new, unstarted transport. Fails with an IllegalArgumentException naming what is wrong. */
    Transport create(URI uri);
}
