package dev.courier.websocket;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The wire format: every WebSocket text frame is one CloudEvent in structured JSON mode. Message
 * frames carry the message's own attributes plus frame attributes named {@code courierws*} (address,
 * sequence, subscription, tag), which are not part of the message and are stripped on receipt.
 * A JSON body travels as {@code data} byte for byte; anything else as {@code data_base64}.
 */
final class Frames {
    private Frames() {
    }

    static final String PROTOCOL = "cloudevents.json";
    static final String TOKEN_PROTOCOL_PREFIX = "courier.token.";
    static final String CONTROL_PREFIX = "dev.courier.control.v1.";
    static final String SUBSCRIBE = CONTROL_PREFIX + "subscribe";
    static final String UNSUBSCRIBE = CONTROL_PREFIX + "unsubscribe";
    static final String ACK = CONTROL_PREFIX + "ack";
    static final String REJECT = CONTROL_PREFIX + "reject";
    static final String REDELIVER = CONTROL_PREFIX + "redeliver";
    static final String DL_BROWSE = CONTROL_PREFIX + "deadletters.browse";
    static final String DL_REMOVE = CONTROL_PREFIX + "deadletters.remove";
    static final String WELCOME = CONTROL_PREFIX + "welcome";
    static final String CONFIRM = CONTROL_PREFIX + "confirm";
    static final String ERROR = CONTROL_PREFIX + "error";

    /** Frame attribute prefix: never a message header. */
    static final String FRAME_PREFIX = "courierws";
    static final String TO = "courierwsto";
    static final String SEQ = "courierwsseq";
    static final String SUB = "courierwssub";
    static final String TAG = "courierwstag";
    static final String REDELIVERED = "courierwsredelivered";

    static final ObjectMapper JSON = new ObjectMapper();
    /** Control frames need ids unique per source, not random ones: a per-process prefix and a counter. */
    private static final String CONTROL_ID_PREFIX = "ctl-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private static final java.util.concurrent.atomic.AtomicLong CONTROL_IDS = new java.util.concurrent.atomic.AtomicLong();
    private static final JsonFactory FACTORY = JSON.getFactory();

    /** A decoded frame: its attributes (frame attributes apart) and body. */
    static final class Frame {
        final Map<String, String> headers;
        final Map<String, String> frameAttributes;
        final byte[] body;
        /** The parsed {@code data} of a control frame (null for a message frame). */
        final JsonNode control;

        Frame(Map<String, String> headers, Map<String, String> frameAttributes, byte[] body, JsonNode control) {
            this.headers = headers;
            this.frameAttributes = frameAttributes;
            this.body = body;
            this.control = control;
        }

        String type() {
            return headers.get("type");
        }

        boolean isControl() {
            String t = type();
            return t != null && t.startsWith("dev.courier.control.");
        }

        String attr(String name) {
            return frameAttributes.get(name);
        }
    }

    /** Thrown for a frame that is not a CloudEvent we can read. */
    static final class MalformedFrame extends Exception {
        MalformedFrame(String message) {
            super(message, null, false, false);
        }
    }

    // ---- encoding --------------------------------------------------------------------------------

    /** A message frame: the message's headers and body plus frame attributes. */
    static String message(Map<String, String> headers, byte[] body, Map<String, String> frameAttributes) {
        StringWriter w = new StringWriter(body.length + 64 * (headers.size() + frameAttributes.size()) + 16);
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.writeStartObject();
            for (Map.Entry<String, String> e : headers.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            for (Map.Entry<String, String> e : frameAttributes.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            String text = isJsonContent(headers.get("datacontenttype")) ? jsonText(body) : null;
            if (text != null) {
                g.writeFieldName("data");
                g.writeRawValue(text);
            } else if (body.length > 0 || !isJsonContent(headers.get("datacontenttype"))) {
                g.writeStringField("data_base64", Base64.getEncoder().encodeToString(body));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a frame", e);
        }
        return w.toString();
    }

    /** A control frame of {@code type} with {@code data}; {@code seq} may be null. */
    static String control(String type, String source, String seq, ObjectNode data) {
        ObjectNode n = JSON.createObjectNode();
        n.put("specversion", "1.0");
        n.put("id", CONTROL_ID_PREFIX + CONTROL_IDS.incrementAndGet());
        n.put("source", source);
        n.put("type", type);
        n.put("datacontenttype", "application/json");
        if (seq != null) {
            n.put(SEQ, seq);
        }
        n.set("data", data);
        return n.toString();
    }

    static ObjectNode data() {
        return JSON.createObjectNode();
    }

    static boolean isJsonContent(String contentType) {
        if (contentType == null) {
            return true;
        }
        String ct = contentType.toLowerCase(java.util.Locale.ROOT);
        int semi = ct.indexOf(';');
        if (semi >= 0) {
            ct = ct.substring(0, semi).trim();
        }
        return ct.equals("application/json") || ct.endsWith("+json") || ct.equals("text/json");
    }

    /**
     * The body as text when it is exactly one well-formed JSON value in UTF-8 with nothing around it
     * (no whitespace or byte-order mark before or after); null otherwise, and the body then travels
     * as {@code data_base64}. That is the one rule for a structured-mode body, and it keeps every
     * body byte-exact: {@code data} is read back as the exact text of the value (issue 12.7: the
     * whitespace around a JSON body was dropped).
     */
    static String jsonText(byte[] body) {
        if (body.length == 0 || !startsAValue(body[0]) || isJsonSpace(body[body.length - 1])) {
            return null;
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() == null) {
                return null;
            }
            p.skipChildren();
            return p.nextToken() == null ? text : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean startsAValue(byte b) {
        return b == '{' || b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9') || b == 't' || b == 'f' || b == 'n';
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    // ---- decoding --------------------------------------------------------------------------------

    /** Reads one frame; control frames get their {@code data} parsed, message frames their exact body. */
    static Frame parse(String text) throws MalformedFrame {
        Map<String, String> headers = new HashMap<>(16);
        Map<String, String> frame = new HashMap<>(4);
        byte[] body = null;
        String dataText = null;
        JsonToken dataToken = null;
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedFrame("a frame must be one JSON object (a CloudEvent in structured mode)");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("data")) {
                    int start = (int) p.currentTokenLocation().getCharOffset();
                    dataToken = v;
                    if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                        p.skipChildren();
                    } else {
                        p.finishToken();
                    }
                    int end = (int) p.currentLocation().getCharOffset();
                    dataText = text.substring(start, end);
                    if (v == JsonToken.VALUE_STRING) {
                        dataText = dataText.trim();
                    }
                } else if (name.equals("data_base64")) {
                    if (v != JsonToken.VALUE_STRING) {
                        throw new MalformedFrame("data_base64 must be a string");
                    }
                    try {
                        body = Base64.getDecoder().decode(p.getText());
                    } catch (IllegalArgumentException e) {
                        throw new MalformedFrame("data_base64 is not valid base64");
                    }
                } else {
                    if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                        throw new MalformedFrame("attribute '" + name + "' must be a string, number or boolean");
                    }
                    if (v == JsonToken.VALUE_NULL) {
                        continue;
                    }
                    if (name.startsWith(FRAME_PREFIX)) {
                        frame.put(name, p.getText());
                    } else {
                        headers.put(name, p.getText());
                    }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new MalformedFrame("a frame must be exactly one JSON object");
            }
        } catch (IOException e) {
            throw new MalformedFrame("not valid JSON: " + shorten(e.getMessage()));
        }
        String type = headers.get("type");
        if (type == null || type.isEmpty()) {
            throw new MalformedFrame("the CloudEvents attribute 'type' is required");
        }
        if (type.startsWith("dev.courier.control.")) {
            JsonNode data;
            try {
                data = dataText == null ? JSON.createObjectNode() : JSON.readTree(dataText);
            } catch (IOException e) {
                throw new MalformedFrame("control data is not valid JSON");
            }
            if (!data.isObject()) {
                throw new MalformedFrame("control data must be a JSON object");
            }
            return new Frame(headers, frame, new byte[0], data);
        }
        if (body == null) {
            if (dataText == null) {
                body = new byte[0];
            } else if (dataToken == JsonToken.VALUE_STRING && !isJsonContent(headers.get("datacontenttype"))) {
                try {
                    body = JSON.readValue(dataText, String.class).getBytes(StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new MalformedFrame("data is not a valid JSON string");
                }
            } else {
                body = dataText.getBytes(StandardCharsets.UTF_8);
            }
        }
        return new Frame(headers, frame, body, null);
    }

    static String text(JsonNode data, String field) {
        JsonNode n = data.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    private static String shorten(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        s = nl > 0 ? s.substring(0, nl) : s;
        return s.length() > 200 ? s.substring(0, 200) : s;
    }
}
