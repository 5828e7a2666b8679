package dev.courier.mqtt;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;

/**
 * Makes {@code mqtt://host:port} and {@code mqtts://host:port} work in
 * {@code MessageBus.builder(...).transport("mqtt://localhost:1883")} once sdk-mqtt is on the class path.
 * URI parameters are described in {@link MqttConfig}; {@code ?version=3} selects MQTT 3.1.1.
 */
public final class MqttTransportProvider implements TransportProvider {

    @Override
    public boolean supports(URI uri) {
        String s = uri.getScheme();
        return "mqtt".equalsIgnoreCase(s) || "mqtts".equalsIgnoreCase(s);
    }

    @Override
    public Transport create(URI uri) {
        return MqttTransport.of(uri.toString());
    }
}
