package dev.courier.mqtt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Creates transports per test namespace and removes what they leave on the broker: every session
 * they created (connect with clean start, disconnect) and their retained member records.
 */
public final class MqttTestSupport {
    private final MqttConfig.Version version;
    private final Map<String, List<MqttTransport>> byNamespace = new ConcurrentHashMap<>();

    public MqttTestSupport(MqttConfig.Version version) {
        this.version = version;
    }

    public MqttTransport newTransport(String namespace) {
        MqttTransport t = MqttTransport.create(MqttBroker.config(version, namespace));
        byNamespace.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /** Ends the sessions of one instance and its service's dead-letter session, and clears its member records. */
    static void purge(MqttConfig cfg, String service, String clientId) throws Exception {
        for (String id : List.of(clientId, clientId + ":retry", DeadLetterStore.clientId(cfg, service))) {
            DeadLetterStore.endSession(cfg, id).get(10, TimeUnit.SECONDS);
        }
        Topics topics = new Topics(cfg.topicPrefix());
        Wire w = Wire.open(cfg, cfg.clientIdPrefix() + ":cleaner", m -> { }, Runnable::run, () -> { });
        w.connect(true, java.time.Duration.ofSeconds(1), 16).get(10, TimeUnit.SECONDS);
        for (String id : List.of(clientId, clientId + ":retry")) {
            w.publishRaw(topics.member(service, id), new byte[0], 1, true).get(10, TimeUnit.SECONDS);
        }
        w.disconnect(true).get(10, TimeUnit.SECONDS);
    }

    public void deleteNamespace(String namespace) {
        List<MqttTransport> ts = byNamespace.remove(namespace);
        if (ts == null) {
            return;
        }
        MqttConfig cfg = MqttBroker.config(version, namespace);
        Topics topics = new Topics(namespace);
        List<String> ids = new ArrayList<>();
        List<String> records = new ArrayList<>();
        for (MqttTransport t : ts) {
            for (String id : t.sessionClientIds()) {
                if (!ids.contains(id)) {
                    ids.add(id);
                }
            }
            records.addAll(t.recordTopics());
        }
        for (String id : ids) {
            try {
                DeadLetterStore.endSession(cfg, id).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // keep cleaning
            }
        }
        if (!records.isEmpty()) {
            Wire w = Wire.open(cfg, namespace + ":cleaner", m -> { }, Runnable::run, () -> { });
            try {
                w.connect(true, java.time.Duration.ofSeconds(1), 16).get(10, TimeUnit.SECONDS);
                for (String r : records) {
                    w.publishRaw(r, new byte[0], 1, true).get(10, TimeUnit.SECONDS);
                }
                w.disconnect(true).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        }
    }
}
