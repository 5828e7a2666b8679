package dev.courier.bench.amqp;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.amqp.AmqpConfig;
import dev.courier.amqp.AmqpTransport;
import dev.courier.bench.Options;

import java.io.IOException;
import java.util.List;

/** What the AMQP scenarios share: where the broker is, a namespace per run, and clean-up. */
final class AmqpBench {
    static final String ROUTING_KEY = "v1.bench.measured";

    private AmqpBench() {
    }

    /** {@code --uri}, else COURIER_AMQP_URI, else the local broker with guest/guest. */
    static String uri(Options o) {
        String env = System.getenv("COURIER_AMQP_URI");
        return o.get("uri", env != null && !env.isBlank() ? env : "amqp://guest:guest@127.0.0.1:5672/");
    }

    static String namespace(String scenario) {
        return "bench" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "." + scenario;
    }

    static AmqpTransport transport(Options o, String namespace, int window) {
        return AmqpTransport.of(AmqpConfig.builder().uri(uri(o)).namespace(namespace).confirmWindow(window).build());
    }

    static Connection connect(Options o, String name) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(uri(o));
        if (f.getVirtualHost().isEmpty()) {
            f.setVirtualHost("/");
        }
        f.setAutomaticRecoveryEnabled(false);
        return f.newConnection(name);
    }

    /** Deletes the queues and exchanges of a run (names that do not exist are skipped). */
    static void delete(Options o, List<String> names) {
        try (Connection c = connect(o, "courier-bench-cleanup")) {
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
                        // fine
                    } finally {
                        if (ch.isOpen()) {
                            ch.abort();
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("clean-up failed: " + e);
        }
    }

    /** The names a Courier run with services bench-sink and bench-pub leaves under {@code ns}. */
    static List<String> courierNames(String ns) {
        return List.of(ns + ".courier.events", ns + ".courier.commands", ns + ".bench-sink." + ROUTING_KEY,
                ns + ".courier.dead-letter.bench-sink", ns + ".courier.dead-letter.bench-pub");
    }
}
