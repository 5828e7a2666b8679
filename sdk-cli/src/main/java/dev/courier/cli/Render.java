package dev.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.DeadLetter;
import dev.courier.spi.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Tables, JSON lines and the detail view. */
final class Render {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Render() {
    }

    /** One dead letter's summary as a JSON object (a line of {@code list --json}). */
    static ObjectNode summary(DeadLetter d) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", d.messageId());
        n.put("type", d.messageType());
        n.put("firstFailure", Letters.firstFailure(d));
        n.put("lastFailure", Letters.lastFailure(d));
        n.put("attempts", d.attempts());
        n.put("errorType", d.errorType());
        n.put("errorMessage", d.errorMessage());
        n.put("correlationId", Letters.correlationId(d));
        n.put("address", d.address());
        return n;
    }

    /** Everything about one dead letter as a JSON object ({@code show --json}). */
    static ObjectNode detail(DeadLetter d) {
        ObjectNode n = summary(d);
        n.put("stackTrace", d.headers().get(Headers.DL_STACK_TRACE));
        ObjectNode h = n.putObject("headers");
        new TreeMap<>(d.headers()).forEach(h::put);
        JsonNode payload = json(d.body());
        if (payload != null) {
            n.set("payload", payload);
        } else {
            String text = text(d.body());
            if (text != null) {
                n.put("payloadText", text);
            } else {
                n.put("payloadBase64", Base64.getEncoder().encodeToString(d.body()));
            }
        }
        return n;
    }

    /** A table with a header row; columns as wide as their widest cell. */
    static List<String> table(List<String> header, List<List<String>> rows) {
        int[] w = new int[header.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = header.get(i).length();
        }
        for (List<String> r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r.get(i).length());
            }
        }
        List<String> out = new ArrayList<>();
        out.add(line(header, w));
        for (List<String> r : rows) {
            out.add(line(r, w));
        }
        return out;
    }

    private static String line(List<String> cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            b.append(i == cells.size() - 1 ? cells.get(i) : String.format("%-" + w[i] + "s  ", cells.get(i)));
        }
        return b.toString().stripTrailing();
    }

    /** At most {@code max} characters, on one line. */
    static String cut(String s, int max) {
        if (s == null) {
            return "-";
        }
        String one = s.replaceAll("\\s+", " ").trim();
        return one.length() <= max ? one : one.substring(0, max - 1) + "…";
    }

    /** The body as JSON, or null when it is not one JSON value. */
    static JsonNode json(byte[] body) {
        try {
            return body.length == 0 ? null : JSON.readTree(body);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The body as UTF-8 text, or null when it is not valid UTF-8. */
    static String text(byte[] body) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The payload for people: pretty JSON, else the text, else base64 (with what it is). */
    static List<String> payload(byte[] body) {
        List<String> out = new ArrayList<>();
        JsonNode j = json(body);
        if (j != null) {
            try {
                out.addAll(PRETTY.writeValueAsString(j).lines().toList());
            } catch (java.io.IOException e) {
                out.add(j.toString());
            }
            return out;
        }
        String t = text(body);
        if (t != null) {
            out.add("(not JSON; as text)");
            out.addAll(t.lines().toList());
        } else {
            out.add("(binary; base64)");
            out.add(Base64.getEncoder().encodeToString(body));
        }
        return out;
    }

    /** Headers other than the ones the detail view shows on its own. */
    static Map<String, String> otherHeaders(DeadLetter d) {
        Map<String, String> h = new TreeMap<>(d.headers());
        for (String k : List.of(Headers.DL_STACK_TRACE)) {
            h.remove(k);
        }
        return h;
    }
}
