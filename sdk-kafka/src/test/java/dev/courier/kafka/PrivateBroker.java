package dev.courier.kafka;

import dev.courier.kit.BrokerControl;
import dev.courier.kit.NetworkFault;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Kafka broker of one test class's own, never the shared one on 9092: started once (about 10 s) by
 * .ci/kafka.sh as a child process on free ports with a data directory of its own, and stopped by the pid
 * the script started — after the class, by a shutdown hook, and by the script's watchdog when this JVM
 * ends any other way ({@code COURIER_KAFKA_WATCH_PID}). Its tests may stop and restart it
 * ({@link #control()}).
 *
 * <p>Kafka clients connect to the address the broker advertises, not to the one they were given, so a
 * {@link NetworkFault} proxy on an ephemeral port would see the bootstrap connection only. This broker has
 * {@link #SLOTS} extra listeners; listener {@code k} advertises a port the test reserved for it, where
 * {@link #fault} puts the proxy of one test: a client that bootstraps through that proxy comes back through it.
 */
final class PrivateBroker implements AutoCloseable {
    /** Proxied listeners, so this many tests can each have a proxy at once (more wait for a free one). */
    static final int SLOTS = 6;

    private final int port;
    private final int[] listen = new int[SLOTS];
    private final int[] advertised = new int[SLOTS];
    private final boolean[] taken = new boolean[SLOTS];
    private final Path dir;
    private volatile boolean started;
    private final Thread hook = new Thread(this::stopQuietly, "private-kafka-stop");

    private PrivateBroker() {
        Set<Integer> used = new HashSet<>();
        int p;
        do {
            p = freePort(used);
        } while (!free(p + 1) || used.contains(p + 1));
        used.add(p + 1);
        port = p;
        for (int i = 0; i < SLOTS; i++) {
            listen[i] = freePort(used);
            advertised[i] = freePort(used);
        }
        dir = Path.of(System.getProperty("java.io.tmpdir"), "courier-kafka-kit-" + port);
    }

    /**
     * Starts a new private broker and waits until it accepts connections.
     *
     * @return the running broker; close it to stop it
     */
    static PrivateBroker start() {
        PrivateBroker b = new PrivateBroker();
        Runtime.getRuntime().addShutdownHook(b.hook);
        b.delete();
        b.run("start");
        b.started = true;
        return b;
    }

    /** @return host:port of the broker's own listener (not proxied) */
    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** @return the broker's own listener, for {@code brokerAddress()} */
    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    /** Stops and starts this broker by the pid the script started; the proxied listeners stay as they were. */
    BrokerControl control() {
        return new BrokerControl() {
            @Override
            public String unavailableReason() {
                return KafkaBroker.script() == null ? "no .ci/kafka.sh above " + Path.of("").toAbsolutePath() : null;
            }

            @Override
            public void stop() {
                run("stop");
            }

            @Override
            public void start() {
                run("start");
            }
        };
    }

    /**
     * A proxy of one test on a free slot's advertised port, forwarding to that slot's listener: clients
     * given {@link NetworkFault#address()} as bootstrap reach the broker through it only. Waits (up to
     * 2 minutes) while every slot is taken.
     *
     * @param owner the test's namespace; {@link #release} frees its slots
     * @return the running proxy
     */
    synchronized NetworkFault fault(String owner) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            for (int i = 0; i < SLOTS; i++) {
                if (!taken[i]) {
                    taken[i] = true;
                    owners.add(new Owner(owner, i));
                    return NetworkFault.on(advertised[i], new InetSocketAddress("127.0.0.1", listen[i]));
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("all " + SLOTS + " proxied listeners of the private broker stay taken");
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private record Owner(String namespace, int slot) {
    }

    private final List<Owner> owners = new ArrayList<>();

    /**
     * Frees the slots of {@code namespace} (after the kit closed its proxies).
     *
     * @param namespace the test's namespace
     */
    synchronized void release(String namespace) {
        owners.removeIf(o -> {
            if (o.namespace().equals(namespace)) {
                taken[o.slot()] = false;
                return true;
            }
            return false;
        });
        notifyAll();
    }

    /** Stops the broker by its pid and removes its data. */
    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }

    private void stopQuietly() {
        if (!started) {
            return;
        }
        started = false;
        try {
            run("stop");
        } finally {
            delete();
        }
    }

    private void run(String command) {
        try {
            Path script = KafkaBroker.script();
            if (script == null) {
                throw new IllegalStateException("no .ci/kafka.sh above " + Path.of("").toAbsolutePath());
            }
            ProcessBuilder pb = new ProcessBuilder("bash", script.toString(), command).redirectErrorStream(true);
            pb.environment().put("COURIER_KAFKA_PORT", Integer.toString(port));
            pb.environment().put("COURIER_KAFKA_DIR", dir.toString());
            pb.environment().put("COURIER_KAFKA_HEAP", "384m");
            pb.environment().put("COURIER_KAFKA_WATCH_PID", Long.toString(ProcessHandle.current().pid()));
            StringBuilder pairs = new StringBuilder();
            for (int i = 0; i < SLOTS; i++) {
                pairs.append(i == 0 ? "" : " ").append(listen[i]).append('>').append(advertised[i]);
            }
            pb.environment().put("COURIER_KAFKA_PROXIED", pairs.toString());
            long t0 = System.nanoTime();
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(".ci/kafka.sh " + command + " of the private broker on port " + port
                        + " failed: " + out);
            }
            System.out.println("private Kafka broker on port " + port + ": " + command + " took "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void delete() {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a leftover directory in /tmp holds nothing anyone reads
        }
    }

    /** A free port below the ephemeral range (so an outgoing connection cannot take it meanwhile). */
    private static int freePort(Set<Integer> used) {
        for (int i = 0; i < 1000; i++) {
            int p = ThreadLocalRandom.current().nextInt(20_000, 32_000);
            if (!used.contains(p) && free(p)) {
                used.add(p);
                return p;
            }
        }
        throw new IllegalStateException("no free port between 20000 and 32000");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
