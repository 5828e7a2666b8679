package dev.courier.amqp;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.impl.AMQContentHeader;
import com.rabbitmq.client.impl.AMQImpl;
import com.rabbitmq.client.impl.ContentHeaderPropertyWriter;
import com.rabbitmq.client.impl.LongStringHelper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The content-header check, frame by frame: frames are written by amqp-client's own encoder (or as
 * raw bytes, the way RabbitMQ passes them on) and every rewritten frame must be read back by
 * amqp-client's own parser with everything else unchanged.
 */
class HeaderFrameTest {
    private static final long MAX = 1_000;

    @Test
    void anOrdinaryFrameIsLeftAlone() throws IOException {
        Map<String, Object> xDeath = Map.of("x-death", List.of(Map.of("queue", "q", "count", 2L, "routing-keys",
                List.of("k")))); // RabbitMQ's own deepest header: 3 levels
        Map<String, Object> h = new HashMap<>(xDeath);
        h.put("cloudEvents_id", "a");
        assertNull(HeaderFrame.inspect(payload(props(h), MAX), MAX));
        assertNull(HeaderFrame.inspect(payload(new AMQP.BasicProperties(), 0), MAX), "no properties at all");
    }

    @Test
    void aBodyOverTheLimitIsAnnouncedEmptyWithItsSizeAndEverythingElseKept() throws IOException {
        HeaderFrame.Rewrite r = HeaderFrame.inspect(payload(props(Map.of("cloudEvents_id", "big")), MAX + 1), MAX);
        assertNotNull(r);
        assertEquals(MAX + 1, r.skipBody());
        AMQContentHeader read = read(r.payload());
        assertEquals(0, read.getBodySize());
        AMQP.BasicProperties p = (AMQP.BasicProperties) read;
        assertEquals(MAX + 1, p.getHeaders().get(HeaderFrame.BODY_BYTES));
        assertEquals("big", p.getHeaders().get("cloudEvents_id").toString());
        assertEquals("application/json", p.getContentType());
        assertEquals("m-1", p.getMessageId());
        assertEquals(2, p.getDeliveryMode());
        assertEquals("corr", p.getCorrelationId());
    }

    @Test
    void aBodyOverTheLimitWithoutAnyHeadersGetsATable() throws IOException {
        AMQP.BasicProperties in = new AMQP.BasicProperties.Builder().contentType("text/plain").messageId("m-2")
                .priority(3).build();
        AMQP.BasicProperties p = (AMQP.BasicProperties) read(HeaderFrame.inspect(payload(in, 5_000), MAX).payload());
        assertEquals(5_000L, p.getHeaders().get(HeaderFrame.BODY_BYTES));
        assertEquals("text/plain", p.getContentType());
        assertEquals("m-2", p.getMessageId());
        assertEquals(3, p.getPriority());
    }

    @Test
    void aTableNestedTooDeepIsDroppedAndTheOtherHeadersKept() throws IOException {
        Map<String, Object> h = new HashMap<>();
        h.put("cloudEvents_id", "deep");
        h.put("deep", nested(HeaderFrame.MAX_DEPTH + 1));
        h.put("limit", nested(HeaderFrame.MAX_DEPTH));
        h.put("after", "kept");
        HeaderFrame.Rewrite r = HeaderFrame.inspect(payload(props(h), 10), MAX);
        assertNotNull(r);
        assertEquals(0, r.skipBody());
        AMQContentHeader read = read(r.payload());
        assertEquals(10, read.getBodySize(), "the body is untouched");
        Map<String, Object> got = ((AMQP.BasicProperties) read).getHeaders();
        assertFalse(got.containsKey("deep"));
        assertTrue(got.containsKey("limit"), "exactly " + HeaderFrame.MAX_DEPTH + " levels are fine");
        assertEquals("kept", got.get("after").toString());
        assertTrue(got.get(HeaderFrame.DROPPED).toString().contains("deep: nested deeper than"), got.toString());
    }

    @Test
    void theDeepestTableAFrameCanHoldIsCheckedInLinearTime() throws IOException {
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(table);
        int depth = 26_000; // 5 bytes a level: as deep as RabbitMQ's 131,072-byte frame allows
        d.writeByte(4);
        d.writeBytes("deep");
        for (int i = 0; i < depth; i++) {
            d.writeByte('A');
            d.writeInt((depth - i - 1) * 5);
        }
        long t0 = System.nanoTime();
        HeaderFrame.Rewrite r = HeaderFrame.inspect(payload(new RawTable(table.toByteArray()), 1), MAX);
        long micros = (System.nanoTime() - t0) / 1_000;
        Map<String, Object> got = ((AMQP.BasicProperties) read(r.payload())).getHeaders();
        assertFalse(got.containsKey("deep"), got.toString());
        // amqp-client's own reader takes six minutes for this table (quadratic); this walk is linear
        assertTrue(micros < 2_000_000, "checked in " + micros + " µs");
    }

    @Test
    void aFieldTypeAmqpClientCannotReadIsDroppedWhereverItSits() throws IOException {
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(table);
        field(d, "first", 'S');
        d.writeInt(2);
        d.writeBytes("ok");
        field(d, "unsigned", 'L'); // RabbitMQ accepts an unsigned 64-bit field; amqp-client 5.x does not know it
        d.writeLong(7);
        field(d, "inside", 'F'); // a table holding one
        d.writeInt(1 + 1 + 1 + 8);
        d.writeByte(1);
        d.writeBytes("u");
        d.writeByte('L');
        d.writeLong(8);
        field(d, "last", 'I');
        d.writeInt(42);
        HeaderFrame.Rewrite r = HeaderFrame.inspect(payload(new RawTable(table.toByteArray()), 1), MAX);
        Map<String, Object> got = ((AMQP.BasicProperties) read(r.payload())).getHeaders();
        assertEquals("ok", got.get("first").toString());
        assertEquals(42, got.get("last"));
        assertFalse(got.containsKey("unsigned") || got.containsKey("inside"), got.toString());
        assertTrue(got.get(HeaderFrame.DROPPED).toString().contains("field type 'L'"), got.toString());
    }

    @Test
    void markersAPublisherSetsItselfAreRemoved() throws IOException {
        Map<String, Object> h = Map.of(HeaderFrame.BODY_BYTES, 99L, HeaderFrame.DROPPED, "forged", "cloudEvents_id", "f");
        HeaderFrame.Rewrite r = HeaderFrame.inspect(payload(props(h), 1), MAX);
        Map<String, Object> got = ((AMQP.BasicProperties) read(r.payload())).getHeaders();
        assertEquals(Map.of("cloudEvents_id", LongStringHelper.asLongString("f")), got);
        assertEquals(0, r.skipBody());
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private static AMQP.BasicProperties props(Map<String, Object> headers) {
        return new AMQP.BasicProperties.Builder().contentType("application/json").messageId("m-1").deliveryMode(2)
                .correlationId("corr").headers(headers).build();
    }

    private static Object nested(int levels) {
        Object v = "leaf";
        for (int i = 0; i < levels; i++) {
            v = Map.of("a", v);
        }
        return v;
    }

    private static void field(DataOutputStream d, String key, char type) throws IOException {
        d.writeByte(key.length());
        d.writeBytes(key);
        d.writeByte(type);
    }

    private static byte[] payload(AMQP.BasicProperties p, long bodySize) throws IOException {
        return p.toFrame(0, bodySize).getPayload();
    }

    private static AMQContentHeader read(byte[] payload) throws IOException {
        return AMQImpl.readContentHeaderFrom(new DataInputStream(new ByteArrayInputStream(payload)));
    }

    /** Properties whose headers table is raw bytes, as RabbitMQ passes a foreign client's table on. */
    static final class RawTable extends AMQP.BasicProperties {
        private final byte[] table;

        RawTable(byte[] table) {
            this.table = table;
        }

        @Override
        public void writePropertiesTo(ContentHeaderPropertyWriter w) throws IOException {
            w.writePresence(true); // content-type
            w.writePresence(false);
            w.writePresence(true); // headers
            for (int i = 0; i < 11; i++) {
                w.writePresence(false);
            }
            w.finishPresence();
            w.writeShortstr("application/json");
            LongString raw = LongStringHelper.asLongString(table);
            w.writeLongstr(raw); // a table on the wire is a 4-byte length and its bytes, like a long string
        }
    }
}
