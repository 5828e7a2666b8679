package dev.courier.mqtt;

import dev.courier.kit.TransportConformanceKit;
import dev.courier.spi.Transport;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole conformance kit on MQTT 5 against the real broker (see {@link MqttBroker}). Each test's
 * namespace is its topic prefix and client-id prefix; its sessions and retained records are removed after it.
 */
class Mqtt5ConformanceTest extends TransportConformanceKit {
    private static final MqttTestSupport SUPPORT = new MqttTestSupport(MqttConfig.Version.V5);

    @BeforeAll
    static void broker() {
        MqttBroker.uri();
    }

    @Override
    protected Transport newTransport(String namespace) {
        return SUPPORT.newTransport(namespace);
    }

    @Override
    protected void deleteNamespace(String namespace) {
        SUPPORT.deleteNamespace(namespace);
    }
}
