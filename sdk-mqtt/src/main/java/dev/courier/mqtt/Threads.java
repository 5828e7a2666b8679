package dev.courier.mqtt;

import com.hivemq.client.mqtt.MqttClientExecutorConfig;

import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads Courier's MQTT transport runs on. All are daemon threads, so a closed transport never
 * keeps a JVM alive, including the HiveMQ client's Netty event loops (the client's default event
 * loop threads are not daemon threads). Threads made here are "transport threads": a publish called
 * on one never waits for room (see {@link dev.courier.spi.Transport#publish}). Internal.
 */
final class Threads {
    private static final AtomicInteger NETTY = new AtomicInteger();

    /** One Netty executor for every client of the JVM (HiveMQ keeps one event loop group per executor). */
    private static final Executor NETTY_EXECUTOR = r -> {
        Thread t = new TransportThread(r, "courier-mqtt-netty-" + NETTY.incrementAndGet());
        t.start();
    };

    /** The HiveMQ executor configuration every Courier client uses: daemon Netty threads. */
    static final MqttClientExecutorConfig EXECUTORS = MqttClientExecutorConfig.builder()
            .nettyExecutor(NETTY_EXECUTOR).build();

    private Threads() {
    }

    /** A thread Courier's MQTT transport delivers on or completes futures on. */
    static final class TransportThread extends Thread {
        TransportThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    /** A factory of daemon transport threads named {@code name-n}. */
    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> new TransportThread(r, name + "-" + n.incrementAndGet());
    }

    /**
     * {@code es}, except that once it has shut down a task runs on the calling thread instead of being
     * refused: a future completed after close still completes, and the client library never reports a
     * rejected task (HiveMQ hands those to RxJava, which prints them as UndeliverableException).
     */
    static java.util.concurrent.Executor orInline(java.util.concurrent.ExecutorService es) {
        return r -> {
            try {
                es.execute(r);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                r.run();
            }
        };
    }

    /** True on a thread the transport delivers on or completes futures on (a publish there must not wait). */
    static boolean onTransportThread() {
        Thread t = Thread.currentThread();
        return t instanceof TransportThread || t.getName().startsWith("com.hivemq.client.mqtt");
    }
}
