package dev.courier.cli;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;
import java.util.ServiceLoader;

/** Test helper: a new, unstarted transport for a URI, found like the bus finds it (ServiceLoader). */
final class Transports {
    private Transports() {
    }

    static Transport load(String uri) {
        URI parsed = URI.create(uri.matches("[A-Za-z][A-Za-z0-9+.-]*:") ? uri + "default" : uri); // "memory:" alone
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader())) {
            if (p.supports(parsed)) {
                return p.create(parsed);
            }
        }
        throw new AssertionError("no transport on the test class path for " + uri);
    }
}
