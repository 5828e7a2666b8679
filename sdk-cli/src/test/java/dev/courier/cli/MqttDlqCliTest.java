package dev.courier.cli;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** courier dlq against Mosquitto (127.0.0.1:1883, MQTT 5). */
class MqttDlqCliTest extends DlqCliContract {

    @Override
    String uri(String ns) {
        return "mqtt://127.0.0.1:1883?prefix=" + ns + "&sessionExpiry=PT1M";
    }

    @Override
    void requireBroker() {
        Brokers.requireMosquitto();
    }

    @Override
    String unreachableUri() {
        return "mqtt://127.0.0.1:1?connectTimeout=PT1S";
    }

    @Override
    void assertWrongCredentials(Cli.Result r) {
        // the test Mosquitto lets anyone in: the point is that the secret never shows
        assertEquals(ExitCodes.OK, r.code(), r::toString);
    }

    /** Ends every session the namespace made and clears its retained records. */
    @Override
    void cleanUp(String ns, List<String> services, List<String> names) throws Exception {
        List<String> sessions = new ArrayList<>();
        for (String s : services) {
            String instance = ns + ":" + s + ":i1";
            sessions.add(ns + ":" + s + ":deadletters");
            sessions.add(instance);
            sessions.add(instance + ":retry");
            for (String n : names) {
                for (int gen = 0; gen < 3; gen++) {
                    sessions.add(instance + ":" + s + ":" + n + ":" + gen);
                }
            }
        }
        for (String id : sessions) {
            Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                    .serverPort(1883).buildBlocking();
            c.connectWith().cleanStart(true).noSessionExpiry().send();
            c.disconnect();
        }
        Mqtt5BlockingClient c = MqttClient.builder().useMqttVersion5().identifier(ns + ":cleaner").serverHost("127.0.0.1")
                .serverPort(1883).buildBlocking();
        c.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = c.publishes(MqttGlobalPublishFilter.ALL)) {
            c.subscribeWith().topicFilter(ns + "/#").send();
            Optional<Mqtt5Publish> p;
            while ((p = publishes.receive(500, TimeUnit.MILLISECONDS)).isPresent()) {
                if (p.get().isRetain()) {
                    c.publishWith().topic(p.get().getTopic()).retain(true).payload(new byte[0]).send();
                }
            }
        } finally {
            c.disconnect();
        }
    }
}
