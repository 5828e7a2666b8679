package dev.courier.cli;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** courier dlq against RabbitMQ (127.0.0.1:5672, guest/guest). */
class AmqpDlqCliTest extends DlqCliContract {

    @Override
    String uri(String ns) {
        return "amqp://guest:guest@127.0.0.1:5672/?namespace=" + ns;
    }

    @Override
    void requireBroker() {
        Brokers.requireRabbit();
    }

    @Override
    String unreachableUri() {
        return "amqp://guest:guest@127.0.0.1:1/?startTimeout=1";
    }

    @Override
    void assertWrongCredentials(Cli.Result r) {
        assertEquals(ExitCodes.CONNECTION, r.code(), r::toString);
        assertTrue(r.err().contains("refused the credentials of user 'courier-cli-nobody'"), r::toString);
    }

    @Override
    void cleanUp(String ns, List<String> services, List<String> names) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri("amqp://guest:guest@127.0.0.1:5672");
        f.setVirtualHost("/");
        List<String> queues = new ArrayList<>();
        for (String s : services) {
            queues.add(ns + ".courier.dead-letter." + s);
            for (String n : names) {
                queues.add(ns + "." + s + "." + n);
            }
        }
        for (String n : names) {
            queues.add(ns + ".courier.command." + n);
        }
        try (Connection c = f.newConnection("courier-cli-test-cleanup")) {
            for (String q : queues) {
                try (Channel ch = c.createChannel()) {
                    ch.queueDelete(q);
                }
            }
            for (String x : List.of(ns + ".courier.events", ns + ".courier.commands")) {
                try (Channel ch = c.createChannel()) {
                    ch.exchangeDelete(x);
                }
            }
        }
    }
}
