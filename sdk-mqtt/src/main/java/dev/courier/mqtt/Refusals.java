package dev.courier.mqtt;

import com.hivemq.client.mqtt.mqtt3.exceptions.Mqtt3ConnAckException;
import com.hivemq.client.mqtt.mqtt3.message.connect.connack.Mqtt3ConnAckReturnCode;
import com.hivemq.client.mqtt.mqtt5.exceptions.Mqtt5ConnAckException;
import com.hivemq.client.mqtt.mqtt5.message.connect.connack.Mqtt5ConnAckReasonCode;
import dev.courier.ConfigurationException;
import dev.courier.spi.support.TransportUri.HostPort;

/**
 * Tells a connect failure that retrying cannot fix (refused credentials, not authorised, a client id
 * or protocol the broker rejects) from one that it may (refused connection, timeout, server busy).
 * Internal.
 */
final class Refusals {
    private Refusals() {
    }

    /**
     * @param address the broker that failed
     * @param e       the connect failure
     * @return a {@link ConfigurationException} when retrying cannot help, else an exception naming the broker
     */
    static Exception classify(HostPort address, Throwable e) {
        if (e instanceof Mqtt5ConnAckException c) {
            Mqtt5ConnAckReasonCode rc = c.getMqttMessage().getReasonCode();
            if (rc == Mqtt5ConnAckReasonCode.BAD_USER_NAME_OR_PASSWORD || rc == Mqtt5ConnAckReasonCode.NOT_AUTHORIZED
                    || rc == Mqtt5ConnAckReasonCode.BAD_AUTHENTICATION_METHOD
                    || rc == Mqtt5ConnAckReasonCode.CLIENT_IDENTIFIER_NOT_VALID
                    || rc == Mqtt5ConnAckReasonCode.UNSUPPORTED_PROTOCOL_VERSION || rc == Mqtt5ConnAckReasonCode.BANNED) {
                return new ConfigurationException("MQTT broker " + address + " refused the connection: CONNACK " + rc
                        + " (check the user name, password, client id and protocol version; retrying cannot help)");
            }
        }
        if (e instanceof Mqtt3ConnAckException c) {
            Mqtt3ConnAckReturnCode rc = c.getMqttMessage().getReturnCode();
            if (rc == Mqtt3ConnAckReturnCode.BAD_USER_NAME_OR_PASSWORD || rc == Mqtt3ConnAckReturnCode.NOT_AUTHORIZED
                    || rc == Mqtt3ConnAckReturnCode.IDENTIFIER_REJECTED
                    || rc == Mqtt3ConnAckReturnCode.UNSUPPORTED_PROTOCOL_VERSION) {
                return new ConfigurationException("MQTT broker " + address + " refused the connection: CONNACK " + rc
                        + " (check the user name, password and client id; retrying cannot help)");
            }
        }
        String m = e == null ? "unknown" : e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new java.io.IOException("could not connect to MQTT broker " + address + ": " + m, e);
    }
}
