package dev.courier.amqp;

import dev.courier.ConfigurationException;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Makes {@code amqp://} and {@code amqps://} URIs work in {@code MessageBus.builder(..).transport(uri)}
 * once sdk-amqp is on the class path. Found by {@link java.util.ServiceLoader}; not for direct use
 * (use {@link AmqpTransport#builder()}).
 */
public final class AmqpTransportProvider implements TransportProvider {

    /** For the ServiceLoader. */
    public AmqpTransportProvider() {
    }

    @Override
    public boolean supports(URI uri) {
        String s = uri.getScheme();
        return "amqp".equalsIgnoreCase(s) || "amqps".equalsIgnoreCase(s);
    }

    @Override
    public Transport create(URI uri) {
        try {
            return AmqpTransport.builder().uri(uri).build();
        } catch (ConfigurationException e) {
            throw new IllegalArgumentException(String.join("; ", e.problems()), e);
        }
    }
}
