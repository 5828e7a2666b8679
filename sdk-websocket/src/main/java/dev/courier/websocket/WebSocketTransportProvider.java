package dev.courier.websocket;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Provides {@code ws://host:port/} and {@code wss://host:port/}: a {@link WebSocketTransport} to a
 * Courier WebSocket hub ({@code courier-websocket-hub}). The bearer token may be given as the {@code token} query parameter; it is
 * sent in the {@code Authorization} header, never in the URL.
 */
public final class WebSocketTransportProvider implements TransportProvider {
    @Override
    public boolean supports(URI uri) {
        String s = uri.getScheme();
        return "ws".equalsIgnoreCase(s) || "wss".equalsIgnoreCase(s);
    }

    @Override
    public Transport create(URI uri) {
        try {
            return WebSocketTransport.of(uri);
        } catch (dev.courier.ConfigurationException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
