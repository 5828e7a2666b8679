package dev.courier.amqp;

import dev.courier.ConfigurationException;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Makes {@code amqp://} and {@code amqps://} URIs work in {@code MessageBus.builder(..).transport(uri)}
 * once sdk-amqp is on the class path. Found by {@link java.util.ServiceLoader}; not for direct use
 * (use {@link AmqpTransport#of(String)} or {@link AmqpTransport#of(AmqpConfig)}). A bad URI fails with a
 * {@link ConfigurationException} naming every bad part (never the password), like every Courier
 * configuration error.
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

    /**
     * @throws ConfigurationException naming every bad part of the URI
     */
    @Override
    public Transport create(URI uri) {
        return AmqpTransport.of(uri.toString());
    }
}
