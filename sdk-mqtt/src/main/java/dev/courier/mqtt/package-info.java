/**
 * Courier's MQTT 5 / 3.1.1 transport over the HiveMQ client. Users touch {@link dev.courier.mqtt.MqttConfig}
 * and {@link dev.courier.mqtt.MqttTransport} at most; {@code mqtt://} URIs work through
 * {@link dev.courier.mqtt.MqttTransportProvider}. Nothing of the HiveMQ client appears in a public signature.
 */
package dev.courier.mqtt;
