package dev.courier.mqtt;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The 3.1.1 structured JSON and the 5 property encoding give back exactly what went in. No broker needed. */
class WireFormatTest {
    private static final Map<String, String> H = Map.of("id", "1", "type", "v1.a.b", "source", "s", "specversion", "1.0",
            "datacontenttype", "application/json", "dlstacktrace", "java.lang.X: boom\n\tat a.b(C.java:1)\u0000");

    @Test
    void jsonBodyTravelsAsDataByteForByte() {
        byte[] body = "{\"n\":1,  \"x\":[1.50,2e3]}".getBytes(StandardCharsets.UTF_8);
        byte[] wire = StructuredJson.encode(H, body);
        assertTrue(new String(wire, StandardCharsets.UTF_8).contains("\"data\":{\"n\":1,  \"x\":[1.50,2e3]}"));
        StructuredJson.Decoded d = StructuredJson.decode(wire);
        assertEquals(H, d.headers());
        assertArrayEquals(body, d.body());
    }

    /** Issue 12.6 / 11.7: a JSON string (or any scalar) as the whole body came back as its first byte. */
    @Test
    void scalarJsonBodiesTravelAsDataByteForByte() {
        for (String s : new String[] {"\"hello world\"", "\"\"", "\"esc \\\" \\u00e9 ü\"", "42", "-1.5e3", "true",
                "null", "[]", "[\"a\",1]"}) {
            byte[] body = s.getBytes(StandardCharsets.UTF_8);
            byte[] wire = StructuredJson.encode(H, body);
            StructuredJson.Decoded d = StructuredJson.decode(wire);
            assertEquals(H, d.headers(), s);
            assertEquals(s, new String(d.body(), StandardCharsets.UTF_8), "body " + s + " must come back byte for byte");
        }
    }

    @Test
    void bytesThatAreNotJsonTravelAsBase64() {
        for (String s : new String[] {"{not json", " {\"a\":1}", "plain", "\u00ff\u00fe"}) {
            byte[] body = s.getBytes(StandardCharsets.ISO_8859_1);
            byte[] wire = StructuredJson.encode(H, body);
            StructuredJson.Decoded d = StructuredJson.decode(wire);
            assertEquals(H, d.headers());
            assertArrayEquals(body, d.body(), s);
        }
        Map<String, String> text = Map.of("id", "2", "datacontenttype", "text/plain");
        byte[] wire = StructuredJson.encode(text, "{\"looks\":\"json\"}".getBytes(StandardCharsets.UTF_8));
        assertTrue(new String(wire, StandardCharsets.UTF_8).contains("data_base64"), "non-JSON content types go base64");
    }

    @Test
    void foreignPayloadsDecodeToNoHeaders() {
        StructuredJson.Decoded d = StructuredJson.decode("hello".getBytes(StandardCharsets.UTF_8));
        assertTrue(d.headers().isEmpty());
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), d.body());
    }

    @Test
    void propertyValuesWithControlCharactersRoundTrip() {
        String v = H.get("dlstacktrace") + " 100% \u0085 \ud83d\ude00";
        assertTrue(PropertyText.needsEncoding(v));
        String enc = PropertyText.encode(v);
        assertTrue(enc.chars().noneMatch(c -> c < 0x20), enc);
        assertEquals(v, PropertyText.decode(enc));
    }
}
