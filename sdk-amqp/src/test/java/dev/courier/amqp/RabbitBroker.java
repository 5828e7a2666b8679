package dev.courier.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;


/**
 * How the tests find RabbitMQ, in this order: the {@code COURIER_AMQP_URI} environment variable;
 * a broker on 127.0.0.1:5672 (guest/guest) if it accepts a connection; (Testcontainers is not used:
 * there is no Docker engine where these tests run). Otherwise the tests are skipped with a message
 * saying how to run them, except with {@code CI=true}, where a missing broker fails them (see {@link Ci}).
 */
final class RabbitBroker {
    static final String HOW = "RabbitMQ not found: set COURIER_AMQP_URI=amqp://user:pass@host:5672/ or start RabbitMQ on"
            + " 127.0.0.1:5672 with guest/guest (e.g. apt-get install rabbitmq-server; rabbitmq-server -detached)";
    private static volatile String uri;
    private static volatile boolean probed;
    private static Boolean controllable;

    private RabbitBroker() {
    }

    /** The broker URI; skips the test (or fails it on CI) when there is none. */
    static synchronized String uri() {
        if (!probed) {
            probed = true;
            String env = System.getenv("COURIER_AMQP_URI");
            if (env != null && !env.isBlank()) {
                uri = env.trim();
            } else if (accepts("127.0.0.1", 5672)) {
                uri = "amqp://guest:guest@127.0.0.1:5672/";
            }
        }
        Ci.require(uri != null, HOW);
        return uri;
    }

    /**
     * True when the broker is the local one and rabbitmqctl can stop and start it — never when
     * {@code COURIER_SHARED_BROKER} is set: a broker other people's tests use must not be stopped or
     * have its connections dropped (the restart and fault cases are then skipped, or fail under CI=true).
     */
    static synchronized boolean controllable() {
        if (controllable == null) {
            String shared = System.getenv("COURIER_SHARED_BROKER");
            controllable = (shared == null || shared.isBlank() || "false".equalsIgnoreCase(shared))
                    && (uri().contains("127.0.0.1") || uri().contains("localhost")) && rabbitmqctl(30, "status");
        }
        return controllable;
    }

    private static boolean accepts(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs rabbitmqctl with a deadline; true when it exited 0. */
    static boolean rabbitmqctl(int timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("rabbitmqctl");
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Starts the app again and waits until it serves, whatever state it is in. */
    static void ensureRunning() {
        rabbitmqctl(120, "start_app");
        rabbitmqctl(120, "await_startup");
    }

    /** A plain amqp-client connection to the test broker. */
    static Connection connect() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri());
        if (f.getVirtualHost().isEmpty()) {
            f.setVirtualHost("/");
        }
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection("courier-test-admin");
    }

    /** Deletes these queues and exchanges (names that are neither are ignored). */
    static void delete(Collection<String> names) {
        if (names.isEmpty()) {
            return;
        }
        try (Connection c = connect()) {
            for (String n : names) {
                for (int kind = 0; kind < 2; kind++) {
                    Channel ch = c.createChannel();
                    try {
                        if (kind == 0) {
                            ch.queueDelete(n);
                        } else {
                            ch.exchangeDelete(n);
                        }
                    } catch (IOException notThere) {
                        // not a queue (or exchange) of that name
                    } finally {
                        if (ch.isOpen()) {
                            ch.abort();
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("clean-up of " + names + " failed: " + e);
        }
    }
}
