package dev.courier.opentelemetry;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.courier.MessageBus;
import dev.courier.amqp.AmqpTransport;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link TracingChainTest} on the real RabbitMQ ({@code COURIER_AMQP_URI}, else 127.0.0.1:5672 guest/guest):
 * the traceparent and tracestate travel as AMQP headers. Every broker name lives under this test's
 * namespace and is deleted afterwards. A missing broker skips, except under CI=true, where it fails.
 */
class AmqpTracingTest extends TracingChainTest {
    private static final String NS = "otel" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    private static int seq;
    private String namespace;
    private String uri;

    @BeforeEach
    void broker() {
        String env = System.getenv("COURIER_AMQP_URI");
        uri = env != null && !env.isBlank() ? env.trim() : accepts() ? "amqp://guest:guest@127.0.0.1:5672/" : null;
        if (uri == null) {
            String how = "RabbitMQ not found: set COURIER_AMQP_URI or start RabbitMQ on 127.0.0.1:5672 (guest/guest)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(how + " (CI=true: a missing broker is a failure, never a skip)");
            }
            assumeTrue(false, how);
        }
        synchronized (AmqpTracingTest.class) {
            namespace = NS + "x" + (++seq);
        }
    }

    @Override
    MessageBus.Builder on(MessageBus.Builder builder) {
        return builder.transport(AmqpTransport.builder().uri(uri).namespace(namespace).build());
    }

    @Override
    String system() {
        return "rabbitmq";
    }

    @Override
    void cleanUp() {
        if (uri == null) {
            return;
        }
        List<String> names = new ArrayList<>();
        for (String n : List.of("courier.events", "courier.commands", "courier.command.v1.otel.order.place",
                "ordering.v1.otel.order.placed", "packing.v1.otel.order.placed", "shipping.v1.otel.parcel.packed",
                "flaky.v1.otel.order.placed")) {
            names.add(namespace + "." + n);
        }
        for (String service : List.of("ordering", "packing", "shipping", "storefront", "flaky", "publisher")) {
            names.add(namespace + ".courier.dead-letter." + service);
        }
        ConnectionFactory f = new ConnectionFactory();
        try {
            f.setUri(uri);
            if (f.getVirtualHost().isEmpty()) {
                f.setVirtualHost("/"); // amqp-client reads "amqp://host/" as the empty virtual host
            }
            try (Connection c = f.newConnection("courier-otel-test-cleanup")) {
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
                            // no queue (or exchange) of that name
                        } finally {
                            if (ch.isOpen()) {
                                ch.abort();
                            }
                        }
                    }
                }
            }
        } catch (Exception e) {
            System.err.println("clean-up of " + names + " failed: " + e);
        }
    }

    private static boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 5672), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
