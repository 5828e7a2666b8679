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

    /** The executors of one started transport; all daemon transport threads, all stopped on close. */
    static final class Pools {
        /** Timers: confirm sweeps, reconnect attempts, due retries, hand-over bounds. */
        final java.util.concurrent.ScheduledExecutorService scheduler;
        /**
         * Publish futures complete here, in order, never on the client's network thread; one thread is
         * cheaper than a pool hand-off per message, and a blocking user continuation cannot stall the network.
         */
        final java.util.concurrent.ExecutorService completions;
        /** The retry session's messages. */
        final java.util.concurrent.ExecutorService retryIncoming;
        /** Callbacks of short-lived connections (dead-letter reads, session take-overs), in order. */
        final java.util.concurrent.ExecutorService aux;
        /** Work that blocks (session take-overs, hand-overs). */
        final java.util.concurrent.ExecutorService tasks;
        /** Publishes made on transport threads, which never wait for room themselves. */
        final java.util.concurrent.ExecutorService sender;

        Pools(String tag) {
            scheduler = java.util.concurrent.Executors.newScheduledThreadPool(1, daemon("courier-mqtt-timer-" + tag));
            completions = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("courier-mqtt-io-" + tag));
            retryIncoming = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("courier-mqtt-retry-" + tag));
            aux = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("courier-mqtt-aux-" + tag));
            tasks = java.util.concurrent.Executors.newCachedThreadPool(daemon("courier-mqtt-task-" + tag));
            sender = java.util.concurrent.Executors.newSingleThreadExecutor(daemon("courier-mqtt-send-" + tag));
        }

        void shutdown() {
            scheduler.shutdownNow();
            retryIncoming.shutdown();
            aux.shutdown();
            tasks.shutdown();
            sender.shutdown();
            completions.shutdown();
        }
    }
}
