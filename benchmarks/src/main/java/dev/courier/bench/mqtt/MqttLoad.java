package dev.courier.bench.mqtt;

import dev.courier.MessageBus;
import dev.courier.bench.OpenLoop;
import dev.courier.bench.Options;
import dev.courier.bench.memory.BenchPayload;

import java.util.List;

/**
 * The two sides of MQTT 5 for latency-under-load: Courier (the settings of mqtt-latency) and the raw
 * HiveMQ baseline ({@link MqttBench.Raw}: same JSON and CloudEvents user properties, QoS 1, a shared
 * subscription, the same in-flight window).
 */
public final class MqttLoad {
    private MqttLoad() {
    }

    /**
     * A connected Courier publisher and sink bus on a fresh topic prefix.
     *
     * @param o        --uri, --inflight (1000), --prefetch (1000), --concurrency (4)
     * @param receiver where the sink's handler hands each payload
     * @return the target; closing it ends its sessions on the broker
     */
    public static OpenLoop.Target courier(Options o, OpenLoop.Receiver receiver) {
        String ns = MqttBench.namespace("luc");
        MessageBus sink = MessageBus.builder("bench-sink").instanceId("b1").transport(MqttBench.transport(o, ns))
                .concurrency(o.getInt("concurrency", 4)).prefetch(o.getInt("prefetch", 1000))
                .onEvent(BenchPayload.class, (p, ctx) -> receiver.accept(p)).build().start();
        MessageBus pub = MqttBench.publisher(o, ns);
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) {
                pub.publish(payload);
            }

            @Override
            public void close() {
                pub.close();
                sink.close();
                MqttBench.cleanUp(o, ns, List.of("bench-sink", "bench-pub"));
            }
        };
    }

    /**
     * A connected raw HiveMQ publisher and subscriber on a fresh topic.
     *
     * @param o        --uri, --inflight (1000)
     * @param receiver where the subscriber hands each payload
     * @return the target; closing it ends its sessions on the broker
     * @throws Exception when the broker cannot be reached
     */
    public static OpenLoop.Target raw(Options o, OpenLoop.Receiver receiver) throws Exception {
        String ns = MqttBench.namespace("lur");
        MqttBench.Raw raw = new MqttBench.Raw(o, ns, receiver::accept);
        return new OpenLoop.Target() {
            @Override
            public void send(BenchPayload payload) throws Exception {
                raw.publish(payload);
            }

            @Override
            public void close() throws Exception {
                raw.close();
                MqttBench.cleanUp(o, ns, List.of("raw-sink", "raw-pub"));
            }
        };
    }
}
