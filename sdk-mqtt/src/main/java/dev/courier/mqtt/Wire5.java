package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserPropertiesBuilder;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperty;
import com.hivemq.client.mqtt.mqtt5.message.connect.Mqtt5Connect;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult;
import com.hivemq.client.mqtt.mqtt5.message.publish.puback.Mqtt5PubAckReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.publish.pubrec.Mqtt5PubRecReasonCode;
import com.hivemq.client.mqtt.mqtt5.message.subscribe.suback.Mqtt5SubAckReasonCode;
import dev.courier.spi.Headers;
import dev.courier.spi.support.TransportUri.HostPort;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/** MQTT 5: CloudEvents binary mode (attributes as user properties, datacontenttype as content type). Internal. */
final class Wire5 implements Wire {
    private final Mqtt5AsyncClient client;
    private final MqttConfig cfg;

    Wire5(MqttConfig cfg, HostPort address, String clientId, Consumer<Incoming> onMessage, Executor callbacks,
          Consumer<Throwable> onDisconnected) {
        this.cfg = cfg;
        Mqtt5ClientBuilder b = Customizers.base(cfg, Mqtt5Client.builder(), address, clientId)
                .addDisconnectedListener(ctx -> onDisconnected.accept(ctx.getCause()));
        if (cfg.username() != null) {
            b = b.simpleAuth().username(cfg.username())
                    .password(cfg.password() == null ? new byte[0] : cfg.password().getBytes(StandardCharsets.UTF_8))
                    .applySimpleAuth();
        }
        this.client = Customizers.apply(cfg, b, clientId).buildAsync();
        if (callbacks == null) {
            // on the client's network thread: the callback only routes and hands off (no blocking)
            client.publishes(MqttGlobalPublishFilter.ALL, p -> onMessage.accept(decode(p)), true);
        } else {
            client.publishes(MqttGlobalPublishFilter.ALL, p -> onMessage.accept(decode(p)), callbacks, true);
        }
    }

    /**
     * User property listing the headers whose values were percent-encoded because they hold control
     * characters (stack traces, multi-line messages): MQTT brokers such as Mosquitto refuse those in
     * UTF-8 strings and drop the connection. Not a CloudEvents name, so it never clashes with a header.
     */
    static final String ENCODED = "courier-encoded";

    private static Incoming decode(Mqtt5Publish p) {
        java.util.List<? extends Mqtt5UserProperty> props = p.getUserProperties().asList();
        // sized for every property and the content type: no rehash while filling it (the default 16
        // buckets rehash at the 13th entry, and a CloudEvent carries 10 to 13)
        Map<String, String> h = new HashMap<>((props.size() + 1) * 4 / 3 + 1);
        String encoded = null;
        for (Mqtt5UserProperty up : props) {
            String name = up.getName().toString();
            if (name.equals(ENCODED)) {
                encoded = up.getValue().toString();
            } else {
                h.put(name, up.getValue().toString());
            }
        }
        if (encoded != null) {
            for (String name : encoded.split(",")) {
                String v = h.get(name);
                if (v != null) {
                    h.put(name, PropertyText.decode(v));
                }
            }
        }
        p.getContentType().ifPresent(ct -> h.put(Headers.DATACONTENTTYPE, ct.toString()));
        byte[] body = p.getPayloadAsBytes();
        return new Incoming(p.getTopic().toString(), h, body, body, p::acknowledge, p.isRetain());
    }

    @Override
    public CompletableFuture<Session> connect(boolean cleanStart, Duration expiry, int receiveMaximum) {
        return client.connectWith().cleanStart(cleanStart)
                .sessionExpiryInterval(expiry == null ? Mqtt5Connect.NO_SESSION_EXPIRY : expiry.getSeconds())
                .keepAlive(30)
                .restrictions().receiveMaximum(receiveMaximum).applyRestrictions()
                .send()
                .thenApply(ack -> new Session(ack.isSessionPresent(), ack.getRestrictions().getMaximumPacketSize(),
                        ack.getRestrictions().getReceiveMaximum()));
    }

    @Override
    public CompletableFuture<Void> subscribe(String filter, int qos) {
        return client.subscribeWith().topicFilter(filter).qos(qos(qos)).send().thenAccept(ack -> {
            for (Mqtt5SubAckReasonCode rc : ack.getReasonCodes()) {
                if (rc.isError()) {
                    throw new dev.courier.CourierException("broker refused the subscription " + filter + ": " + rc
                            + ack.getReasonString().map(s -> " (" + s + ")").orElse(""));
                }
            }
        });
    }

    @Override
    public CompletableFuture<Void> unsubscribe(String filter) {
        return client.unsubscribeWith().topicFilter(filter).send().thenAccept(ack -> { });
    }

    @Override
    public CompletableFuture<Outcome> publish(String topic, Map<String, String> headers, byte[] body, int qos,
                                              String responseTopic, byte[] correlationData) {
        Mqtt5UserPropertiesBuilder props = Mqtt5UserProperties.builder();
        String contentType = null;
        StringBuilder encoded = null;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            if (e.getKey().equals(Headers.DATACONTENTTYPE)) {
                contentType = e.getValue();
            } else if (PropertyText.needsEncoding(e.getValue())) {
                props.add(e.getKey(), PropertyText.encode(e.getValue()));
                encoded = encoded == null ? new StringBuilder(e.getKey()) : encoded.append(',').append(e.getKey());
            } else {
                props.add(e.getKey(), e.getValue());
            }
        }
        if (encoded != null) {
            props.add(ENCODED, encoded.toString());
        }
        var b = client.publishWith().topic(topic).qos(qos(qos)).payload(body).userProperties(props.build());
        if (contentType != null) {
            b.contentType(contentType);
        }
        if (responseTopic != null) {
            b.responseTopic(responseTopic);
        }
        if (correlationData != null) {
            b.correlationData(correlationData);
        }
        return b.send().thenApply(Wire5::outcome);
    }

    @Override
    public CompletableFuture<Outcome> publishRaw(String topic, byte[] payload, int qos, boolean retain) {
        var b = client.publishWith().topic(topic).qos(qos(qos)).retain(retain).payload(payload);
        if (retain && payload.length > 0 && cfg.sessionExpiry() != null) {
            // a hand-over record lives no longer than the session it names: nobody can claim it after that
            b.messageExpiryInterval(Math.min(4_294_967_295L, Math.max(1, cfg.sessionExpiry().getSeconds())));
        }
        return b.send().thenApply(Wire5::outcome);
    }

    private static Outcome outcome(Mqtt5PublishResult r) {
        if (r.getError().isPresent()) {
            Throwable t = r.getError().get();
            throw t instanceof RuntimeException ? (RuntimeException) t : new dev.courier.PublishException(t.toString(), t);
        }
        if (r instanceof Mqtt5PublishResult.Mqtt5Qos1Result) {
            Mqtt5PubAckReasonCode rc = ((Mqtt5PublishResult.Mqtt5Qos1Result) r).getPubAck().getReasonCode();
            if (rc.isError()) {
                throw new dev.courier.PublishException("broker refused the message: PUBACK " + rc);
            }
            return rc == Mqtt5PubAckReasonCode.NO_MATCHING_SUBSCRIBERS ? Outcome.NO_SUBSCRIBERS : Outcome.DELIVERED;
        }
        if (r instanceof Mqtt5PublishResult.Mqtt5Qos2Result) {
            Mqtt5PubRecReasonCode rc = ((Mqtt5PublishResult.Mqtt5Qos2Result) r).getPubRec().getReasonCode();
            if (rc.isError()) {
                throw new dev.courier.PublishException("broker refused the message: PUBREC " + rc);
            }
            return rc == Mqtt5PubRecReasonCode.NO_MATCHING_SUBSCRIBERS ? Outcome.NO_SUBSCRIBERS : Outcome.DELIVERED;
        }
        return Outcome.DELIVERED;
    }

    @Override
    public CompletableFuture<Void> disconnect(boolean endSession) {
        if (!client.getState().isConnectedOrReconnect()) {
            return CompletableFuture.completedFuture(null);
        }
        return endSession ? client.disconnectWith().sessionExpiryInterval(0).send() : client.disconnect();
    }

    @Override
    public com.hivemq.client.mqtt.MqttClientConfig clientConfig() {
        return client.getConfig();
    }

    @Override
    public boolean isConnected() {
        return client.getState().isConnected();
    }

    static MqttQos qos(int qos) {
        return qos == 2 ? MqttQos.EXACTLY_ONCE : MqttQos.AT_LEAST_ONCE;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
