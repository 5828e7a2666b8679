package dev.courier.samples.ordering;

import dev.courier.MessageBus;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderPlaced;
import dev.courier.samples.ordering.Messages.OrderShipped;
import dev.courier.samples.ordering.Messages.PaymentCaptured;
import dev.courier.samples.ordering.Messages.PlaceOrder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's whole story on the embedded default, as the README's first command runs it. */
class OrderingDemoTest {

    static String run(String uri) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = new OrderingDemo(uri, new PrintStream(buf, true, StandardCharsets.UTF_8)).run();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, "the demo should tell the whole story:\n" + out);
        return out;
    }

    @Test
    void theWholeStoryHappensOnTheInMemoryTransport() {
        String out = run("memory:demo-" + UUID.randomUUID());
        assertTrue(out.contains("DEMO OK"), out);
        assertTrue(out.contains("duplicate skipped"), out);
        assertTrue(out.contains("DEAD-LETTERED"), out);
        assertTrue(out.contains("reply: order-"), out);
    }

    @Test
    void messagesLeftOverByAnEarlierRunDoNotDecideTheVerdict() {
        String uri = "memory:demo-" + UUID.randomUUID();
        run(uri); // the queues exist now, as on a broker where the demo ran before
        leaveMessagesBehind(uri);
        String out = run(uri);
        assertTrue(out.contains("DEMO OK"), out);
        assertTrue(out.contains("left over"), "the demo says it ignored messages of earlier runs:\n" + out);
    }

    /** What a run killed half-way (or the quick start) leaves in the demo's queues: orders, payments, shipments. */
    static void leaveMessagesBehind(String uri) {
        MessageBus old = MessageBus.builder("storefront").transport(uri)
                .produces(PlaceOrder.class, OrderPlaced.class, PaymentCaptured.class, OrderShipped.class).build().start();
        try {
            List<Line> lines = List.of(new Line("BOOK-42", 1, new BigDecimal("12.50")));
            for (int i = 0; i < 3; i++) {
                old.send(new PlaceOrder("carol", lines)).join();
                old.publish(new OrderPlaced("order-old" + i, "carol", lines, new BigDecimal("12.50"))).join();
                old.publish(new PaymentCaptured("order-gone" + i, new BigDecimal("12.50"))).join();
                old.publish(new OrderShipped("order-old" + i, "TRK-OLD" + i)).join();
            }
        } finally {
            old.close();
        }
    }
}
