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

    /**
     * The kit's connection cases MQTT fails (issue 13): none since the transport moved onto the shared
     * support package (Reconnector, ConfirmTracker + PublishGate, SettleOnceDelivery).
     *
     * @param version which protocol version's kit asks
     * @return case method name to the failure; empty
     */
    static Map<String, String> knownDrift(MqttConfig.Version version) {
        return Map.of(); // every connection case passes on MQTT 5 and 3.1.1 (issue 13)
    }

    public MqttTestSupport(MqttConfig.Version version) {
        this.version = version;
    }

    public MqttTransport newTransport(String namespace) {
        return newTransport(namespace, b -> b);
    }

    /** A transport whose configuration {@code adjust} changes first (the namespace's names stay). */
    public MqttTransport newTransport(String namespace, java.util.function.UnaryOperator<MqttConfig.Builder> adjust) {
        MqttTransport t = MqttTransport.of(adjust.apply(MqttBroker.config(version, namespace).toBuilder()).build());
        byNamespace.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /** As {@link #newTransport(String)}, connecting to {@code proxy} instead of the broker (the kit's NetworkFault). */
    public MqttTransport newTransportVia(String namespace, java.net.InetSocketAddress proxy) {
        return newTransport(namespace, b -> b.host(proxy.getHostString()).port(proxy.getPort()));
    }

    /** The broker's host and port, from {@link MqttBroker#uri()} (1883 when it names none). */
    public static java.net.InetSocketAddress brokerAddress() {
        java.net.URI uri = MqttBroker.uri();
        return new java.net.InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 1883 : uri.getPort());
    }

    /** A transport with these settings (their prefix must be {@code namespace}), removed with the namespace. */
    public MqttTransport newTransport(String namespace, MqttConfig cfg) {
        MqttTransport t = MqttTransport.of(cfg);
        byNamespace.computeIfAbsent(namespace, n -> new CopyOnWriteArrayList<>()).add(t);
        return t;
    }

    /** Ends the sessions of one instance and its service's dead-letter session, and clears its member records. */
    static void purge(MqttConfig cfg, String service, String clientId) throws Exception {
        for (String id : List.of(clientId, clientId + ":retry", DeadLetterStore.clientId(cfg, service))) {
            DeadLetterStore.endSession(cfg, id).get(10, TimeUnit.SECONDS);
        }
        Topics topics = new Topics(cfg.topicPrefix());
        Wire w = Wire.open(cfg, cfg.addresses().get(0), cfg.clientIdPrefix() + ":cleaner", m -> { }, Runnable::run, x -> { });
        w.connect(true, java.time.Duration.ofSeconds(1), 16).get(10, TimeUnit.SECONDS);
        for (String id : List.of(clientId, clientId + ":retry")) {
            w.publishRaw(topics.member(service, id), new byte[0], 1, true).get(10, TimeUnit.SECONDS);
        }
        w.disconnect(true).get(10, TimeUnit.SECONDS);
    }

    /** The service and instance of the bus the kit's child-JVM case starts from {@link #childUri}. */
    static final String CHILD_SERVICE = "jvmexit";
    static final String CHILD_INSTANCE = "child";

    /** A URI in {@code namespace} for a bus in a child JVM (stable instance id, so its sessions can be removed). */
    public String childUri(String namespace) {
        String uri = MqttBroker.uri().toString();
        return uri + (uri.contains("?") ? "&" : "?") + "version=" + (version == MqttConfig.Version.V5 ? "5" : "3")
                + "&prefix=" + namespace + "&clientId=" + namespace + "&instanceId=" + CHILD_INSTANCE
                + "&sessionExpiry=PT2M";
    }

    /** The local Mosquitto, stopped and started by its pid (restart cases of the kit). */
    public static dev.courier.kit.BrokerControl brokerControl() {
        return new dev.courier.kit.BrokerControl() {
            @Override
            public String unavailableReason() {
                return MqttBroker.restartable() ? null : "restart cases need the local Mosquitto on 127.0.0.1:1883 with"
                        + " its pid file (run bash .ci/mosquitto.sh) and no COURIER_MQTT_URI, or a local one of your own"
                        + " named by COURIER_MQTT_URI, COURIER_MQTT_PID_FILE and COURIER_MQTT_CONF";
            }

            @Override
            public void stop() {
                try {
                    MqttBroker.stop();
                } catch (Exception e) {
                    throw new IllegalStateException("could not stop Mosquitto: " + e, e);
                }
            }

            @Override
            public void start() {
                try {
                    MqttBroker.start();
                } catch (Exception e) {
                    throw new IllegalStateException("could not start Mosquitto: " + e, e);
                }
            }
        };
    }

    public void deleteNamespace(String namespace) {
        List<MqttTransport> ts = byNamespace.remove(namespace);
        MqttConfig cfg = MqttBroker.config(version, namespace);
        Topics topics = new Topics(namespace);
        List<String> ids = new ArrayList<>();
        List<String> records = new ArrayList<>();
        // what the kit's child-JVM case left from its own JVM (service jvmexit, instance child, one event)
        String child = namespace + ":" + CHILD_SERVICE + ":" + CHILD_INSTANCE;
        String member = child + ":" + CHILD_SERVICE + ":v1.kit.pinged:1";
        ids.addAll(List.of(child, child + ":retry", DeadLetterStore.clientId(cfg, CHILD_SERVICE), member));
        records.add(topics.memberRecord(CHILD_SERVICE, "v1.kit.pinged", member));
        records.add(topics.member(CHILD_SERVICE, child + ":retry"));
        if (ts == null) {
            ts = List.of();
        }
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
            Wire w = Wire.open(cfg, cfg.addresses().get(0), namespace + ":cleaner", m -> { }, Runnable::run, x -> { });
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
