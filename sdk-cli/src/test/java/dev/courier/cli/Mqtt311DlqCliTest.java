package dev.courier.cli;

/** courier dlq against Mosquitto speaking MQTT 3.1.1 ({@code ?version=3}: structured JSON mode on the wire). */
class Mqtt311DlqCliTest extends MqttDlqCliTest {

    @Override
    String uri(String ns) {
        return "mqtt://127.0.0.1:1883?version=3&prefix=" + ns + "&sessionExpiry=PT1M";
    }
}
