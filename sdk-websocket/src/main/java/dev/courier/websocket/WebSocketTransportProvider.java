package dev.courier.websocket;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Provides {@code ws://host:port/} and {@code wss://host:port/} (also several hubs,
 * {@code ws://h1:p1,h2:p2/}): a {@link WebSocketTransport} made by {@link WebSocketTransport#of(String)}.
 * The bearer token may be given as the {@code token} query parameter; it is sent in the
 * {@code Authorization} header, never in the URL.
 */
public final class WebSocketTransportProvider implements TransportProvider {
    @Override
    public boolean supports(URI uri) {
        String s = uri.getScheme();
        return "ws".equalsIgnoreCase(s) || "wss".equalsIgnoreCase(s);
    }

    /** @throws dev.courier.ConfigurationException naming every problem of the URI (the SPI's contract) */
    @Override
    public Transport create(URI uri) {
        return WebSocketTransport.of(uri.toString());
    }
}
