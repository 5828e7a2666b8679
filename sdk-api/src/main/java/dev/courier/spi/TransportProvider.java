package dev.courier.spi;

import java.net.URI;

/**
 * Creates transports from URIs; found with {@link java.util.ServiceLoader}, so adding a transport
 * module to the class path is all it takes to use its URI scheme.
 */
public interface TransportProvider {

    /**
     * True when this provider handles the URI's scheme.
     *
     * @param uri the bus's transport URI; never null
     * @return whether {@link #create} accepts this scheme
     */
    boolean supports(URI uri);

    /**
     * A new, unstarted transport. Does not connect: {@link Transport#start} does.
     *
     * @param uri a URI this provider {@link #supports}; never null
     * @return the transport; never null
     * @throws IllegalArgumentException naming what is wrong with the URI
     */
    Transport create(URI uri);
}
