package dev.courier.samples.ordering;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
}
