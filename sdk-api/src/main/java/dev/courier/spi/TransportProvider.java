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
     * @throws dev.courier.ConfigurationException naming every problem of the URI, each apart (the bus lists each
     *         as a problem of its {@code transport} setting); an {@code IllegalArgumentException} from an older
     *         provider is reported as one problem
     */
    Transport create(URI uri);
}
