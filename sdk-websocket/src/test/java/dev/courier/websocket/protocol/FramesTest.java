package dev.courier.websocket.protocol;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CloudEvents structured-mode codec: headers and bytes round-trip exactly. */
class FramesTest {
    private static final Map<String, String> H = Map.of("id", "1", "type", "v1.x.done", "source", "s", "specversion", "1.0",
            "datacontenttype", "application/json", "correlationid", "c", "traceparent", "00-ab-cd-01", "tenant", "a\"b\\c\u00e9");

    private static Frames.Frame roundTrip(Map<String, String> h, byte[] body) throws Exception {
        return Frames.parse(Frames.message(h, body, Map.of(Frames.TO, "event:v1.x.done", Frames.SEQ, "p1")));
    }

    @Test
    void jsonBodyTravelsAsDataByteForByteAndHeadersComeBackUnchanged() throws Exception {
        byte[] body = "{ \"n\" : 1.50,\n \"s\":\"\\u00e9\", \"a\":[1, 2] }".getBytes(StandardCharsets.UTF_8);
        String text = Frames.message(H, body, Map.of(Frames.TO, "event:v1.x.done"));
        assertTrue(text.contains("\"data\":{ \"n\" : 1.50"), "data is the JSON itself: " + text);
        Frames.Frame f = roundTrip(H, body);
        assertEquals(H, f.headers());
        assertArrayEquals(body, f.body());
        assertEquals("event:v1.x.done", f.attr(Frames.TO));
        assertFalse(f.isControl());
    }

    @Test
    void scalarsStringsAndNonJsonBodiesRoundTrip() throws Exception {
        for (String json : new String[] {"42", "\"just a string\"", "true", "null", "[]"}) {
            assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), roundTrip(H, json.getBytes(StandardCharsets.UTF_8)).body(), json);
        }
        byte[] notJson = "{not json".getBytes(StandardCharsets.UTF_8);
        assertTrue(Frames.message(H, notJson, Map.of()).contains("data_base64"));
        assertArrayEquals(notJson, roundTrip(H, notJson).body());
        byte[] binary = {0, (byte) 0xff, (byte) 0xc3, 0x28};
        Map<String, String> octets = new java.util.HashMap<>(H);
        octets.put("datacontenttype", "application/octet-stream");
        assertArrayEquals(binary, roundTrip(octets, binary).body());
        assertArrayEquals(new byte[0], roundTrip(H, new byte[0]).body());
    }

    @Test
    void foreignClientsMayUseNumbersAndTextData() throws Exception {
        Frames.Frame f = Frames.parse("{\"specversion\":\"1.0\",\"id\":7,\"type\":\"v1.t\",\"source\":\"x\","
                + "\"datacontenttype\":\"text/plain\",\"data\":\"h\\u00e9llo\"}");
        assertEquals("7", f.headers().get("id"));
        assertArrayEquals("h\u00e9llo".getBytes(StandardCharsets.UTF_8), f.body());
    }

    @Test
    void malformedFramesAreRefusedWithAReason() {
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("[1,2]"));
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("{\"id\":\"1\"}"));
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("{\"type\":\"v1.t\",\"x\":{}}"));
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("{\"type\":\"v1.t\"} trailing"));
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("{\"type\":\"v1.t\",\"data_base64\":\"***\"}"));
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse("{\"type\":\"dev.courier.control.v1.ack\",\"data\":[1]}"));
    }

    /** The confirm and settle frames read without a parser give exactly what the full parse gives. */
    @Test
    void confirmAndSettleFramesReadQuicklyAsTheFullParseReadsThem() throws Exception {
        java.util.List<String> frames = java.util.List.of(
                Frames.confirm("/courier/hub/ab12", "p1"),
                Frames.confirm("/courier/hub/ab12", "c123456789"),
                Frames.settle(Frames.ACK, "/courier/svc/x", 7, false),
                Frames.settle(Frames.ACK, "/courier/svc/x", 3_000_000_000L, false),
                Frames.settle(Frames.REJECT, "/courier/svc/x", 42, true),
                Frames.settle(Frames.REJECT, "/courier/svc/x", 42, false),
                Frames.control(Frames.CONFIRM, "s", "p9", Frames.data().put("seq", "p9")),
                Frames.confirms("/courier/hub/ab12", java.util.List.of("p1", "p2", "c3")),
                Frames.confirms("/courier/hub/ab12", java.util.List.of("p1")),
                Frames.acks("/courier/svc/x", new long[] {7, 3_000_000_000L, 8, 99}, 3),
                Frames.acks("/courier/svc/x", new long[] {1}, 1));
        for (String text : frames) {
            Frames.Frame quick = Frames.quickControl(text);
            assertTrue(quick != null, "read quickly: " + text);
            Frames.Frame full = Frames.parse(text.replace("{\"specversion\"", "{ \"specversion\"")); // the full parse
            assertEquals(full.headers(), quick.headers(), text);
            assertEquals(full.attr(Frames.SEQ), quick.attr(Frames.SEQ), text);
            assertEquals(full.control(), quick.control(), text);
            assertTrue(quick.isControl());
        }
        // anything else in the frame: the full parse reads it, the quick one does not
        for (String text : new String[] {
                Frames.confirm("/courier/hub/ab12", "p1").replace("\"data\":{", "\"x\":\"1\",\"data\":{"),
                Frames.confirm("a\"b", "p1"),
                Frames.settle(Frames.ACK, "s", 7, false).replace("\"tag\":7", "\"tag\":07"),
                Frames.settle(Frames.ACK, "s", 7, false).replace("\"tag\":7", "\"tag\":-7"),
                Frames.settle(Frames.ACK, "s", 7, false).replace("\"tag\":7}", "\"tag\":7,\"requeue\":true,\"z\":1}"),
                Frames.settle(Frames.ACK, "s", 7, false) + " ",
                Frames.acks("s", new long[] {7, 8}, 2).replace("[7,8]", "[7,08]"),
                Frames.acks("s", new long[] {7, 8}, 2).replace("[7,8]", "[7,8,]"),
                Frames.acks("s", new long[] {7, 8}, 2).replace("[7,8]", "[7 ,8]"),
                Frames.acks("s", new long[] {7, 8}, 2).replace("[7,8]", "[]"),
                Frames.acks("s", new long[] {7, 8}, 2).replace("[7,8]", "[7,8"),
                Frames.confirms("s", java.util.List.of("p1", "p2")).replace("\"p2\"]", "\"p\\u0032\"]"),
                Frames.confirms("s", java.util.List.of("p1", "p2")).replace("\"p2\"]", "2]"),
                Frames.confirms("s", java.util.List.of("p1", "p2")).replace("]}", "}"),
                Frames.settle(Frames.ACK, "s", 7, false).replace("dev.courier.control.v1.ack", "v1.order.placed")}) {
            assertEquals(null, Frames.quickControl(text), text);
        }
        assertThrows(Frames.MalformedFrame.class, () -> Frames.parse(Frames.settle(Frames.ACK, "s", 7, false)
                .replace("\"tag\":7", "\"tag\":07")));
        assertEquals("a\"b", Frames.parse(Frames.confirm("a\"b", "p1")).headers().get("source"));
    }

    /** Frames written by hand escape what JSON requires, and read back to the same strings. */
    @Test
    void escapedAttributesRoundTrip() throws Exception {
        StringBuilder all = new StringBuilder();
        for (char c = 0; c < 0x80; c++) {
            all.append(c);
        }
        all.append("\u00e9\u2028\ud83d\ude00");
        Map<String, String> h = new java.util.HashMap<>(H);
        h.put("tenant", all.toString());
        Frames.Frame f = roundTrip(h, "{}".getBytes(StandardCharsets.UTF_8));
        assertEquals(h, f.headers());
        assertEquals(all.toString(), new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Frames.message(h, new byte[0], Map.of())).get("tenant").asText());
    }

    /**
     * Issue 12.7: whitespace around a JSON body was dropped ({@code {…}\n} arrived as {@code {…}}).
     * The rule: a body travels as {@code data} only when it is exactly one JSON value with nothing
     * around it; anything else (whitespace around it included) as {@code data_base64} — byte-exact.
     */
    @Test
    void whitespaceAroundAJsonBodyIsKeptByteForByte() throws Exception {
        for (String body : new String[] {"{\"a\":1}\n", " 42 ", "\t[1, 2]", "\"s\"\r\n", "\n", " ", "\uFEFF{}"}) {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(b, roundTrip(H, b).body(), () -> "body '" + body.replace("\n", "\\n") + "' must round-trip"
                    + " byte for byte");
        }
        String text = Frames.message(H, "{\"a\":1}\n".getBytes(StandardCharsets.UTF_8), Map.of());
        assertTrue(text.contains("data_base64"), "a JSON body with whitespace around it travels as data_base64: " + text);
    }
}
