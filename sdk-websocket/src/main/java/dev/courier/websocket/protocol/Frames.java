package dev.courier.websocket.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The frame protocol shared by the client transport ({@code courier-websocket}) and the hub
 * ({@code courier-websocket-hub}), as docs/websocket-protocol.md specifies it. It is public only so
 * that the hub module can use it: applications never need it, and it may change in any release.
 *
 * <p>The wire format: every WebSocket text frame is one CloudEvent in structured JSON mode. Message
 * frames carry the message's own attributes plus frame attributes named {@code courierws*} (address,
 * sequence, subscription, tag), which are not part of the message and are stripped on receipt.
 * A JSON body travels as {@code data} byte for byte; anything else as {@code data_base64}.
 */
public final class Frames {
    private Frames() {
    }

    /** The WebSocket subprotocol every connection must offer. */
    public static final String PROTOCOL = "cloudevents.json";
    /** A subprotocol starting with this carries a bearer token (browsers cannot set headers). */
    public static final String TOKEN_PROTOCOL_PREFIX = "courier.token.";
    /** The type prefix of every control frame. */
    public static final String CONTROL_PREFIX = "dev.courier.control.v1.";
    /** Control frame: subscribe (client to hub). */
    public static final String SUBSCRIBE = CONTROL_PREFIX + "subscribe";
    /** Control frame: unsubscribe (client to hub). */
    public static final String UNSUBSCRIBE = CONTROL_PREFIX + "unsubscribe";
    /** Control frame: ack a delivery (client to hub). */
    public static final String ACK = CONTROL_PREFIX + "ack";
    /** Control frame: reject a delivery (client to hub). */
    public static final String REJECT = CONTROL_PREFIX + "reject";
    /** Control frame: redeliver a delivery later (client to hub). */
    public static final String REDELIVER = CONTROL_PREFIX + "redeliver";
    /** Control frame: list a service's dead letters (client to hub). */
    public static final String DL_BROWSE = CONTROL_PREFIX + "deadletters.browse";
    /** Control frame: remove a dead letter (client to hub). */
    public static final String DL_REMOVE = CONTROL_PREFIX + "deadletters.remove";
    /** Control frame: the hub's first frame on a connection, with its limits and capabilities. */
    public static final String WELCOME = CONTROL_PREFIX + "welcome";
    /** Control frame: the hub confirms a publish or a request. */
    public static final String CONFIRM = CONTROL_PREFIX + "confirm";
    /** Control frame: the hub refuses a frame, with a code. */
    public static final String ERROR = CONTROL_PREFIX + "error";

    /**
     * Handshake request header in which a client offers protocol features (comma-separated names; unknown
     * names are ignored). The hub's welcome names, in {@code features}, those in effect on the connection.
     */
    public static final String FEATURES_HEADER = "Courier-Features";
    /**
     * Feature {@code batch}: the hub may confirm several publishes in one confirm frame ({@code data.seqs}),
     * and the client may ack several deliveries in one ack frame ({@code data.tags}).
     */
    public static final String FEATURE_BATCH = "batch";

    /** Frame attribute prefix: never a message header. */
    public static final String FRAME_PREFIX = "courierws";
    /** Frame attribute: the address a message is published to. */
    public static final String TO = "courierwsto";
    /** Frame attribute: the sender's sequence number, echoed in the confirm or error. */
    public static final String SEQ = "courierwsseq";
    /** Frame attribute: the subscription a delivery belongs to. */
    public static final String SUB = "courierwssub";
    /** Frame attribute: the delivery tag to ack or reject. */
    public static final String TAG = "courierwstag";
    /** Frame attribute: {@code true} on a delivery given again. */
    public static final String REDELIVERED = "courierwsredelivered";

    /** The hub's largest message by default (1 MiB of payload plus 64 KiB of envelope): a client assumes it until the welcome says otherwise. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024 + 64 * 1024;
    /** The hub's largest CloudEvents attribute by default, in UTF-8 bytes. */
    public static final int DEFAULT_MAX_ATTRIBUTE_BYTES = 256;
    /** The hub's rate limit by default, in frames per second per principal. */
    public static final double DEFAULT_MESSAGES_PER_SECOND = 100;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Control frames need ids unique per source, not random ones: a per-process prefix and a counter. */
    private static final String CONTROL_ID_PREFIX = "ctl-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    private static final java.util.concurrent.atomic.AtomicLong CONTROL_IDS = new java.util.concurrent.atomic.AtomicLong();
    private static final JsonFactory FACTORY = JSON.getFactory();

    /** A decoded frame: its attributes (frame attributes apart) and body. Immutable once parsed. */
    public static final class Frame {
        private final Map<String, String> headers;
        private final Map<String, String> frameAttributes;
        private final byte[] body;
        /** The parsed {@code data} of a control frame (null for a message frame). */
        private final JsonNode control;

        Frame(Map<String, String> headers, Map<String, String> frameAttributes, byte[] body, JsonNode control) {
            this.headers = headers;
            this.frameAttributes = frameAttributes;
            this.body = body;
            this.control = control;
        }

        /**
         * The message's attributes (CloudEvents attributes and extensions), frame attributes apart.
         *
         * @return the attributes by name; the caller may keep it but must not modify it
         */
        public Map<String, String> headers() {
            return headers;
        }

        /**
         * The message body, byte-exact.
         *
         * @return the body; empty for a control frame
         */
        public byte[] body() {
            return body;
        }

        /**
         * The parsed {@code data} of a control frame.
         *
         * @return a JSON object, or null for a message frame
         */
        public JsonNode control() {
            return control;
        }

        /**
         * The CloudEvents {@code type}.
         *
         * @return the type; never null for a parsed frame
         */
        public String type() {
            return headers.get("type");
        }

        /**
         * Whether this is a control frame ({@code dev.courier.control.*} type).
         *
         * @return true for a control frame
         */
        public boolean isControl() {
            String t = type();
            return t != null && t.startsWith("dev.courier.control.");
        }

        /**
         * A frame attribute ({@code courierws*}).
         *
         * @param name the attribute, e.g. {@link Frames#SEQ}
         * @return its value, or null
         */
        public String attr(String name) {
            return frameAttributes.get(name);
        }
    }

    /** Thrown for a frame that is not a CloudEvent we can read; the message says why (never the frame's content). */
    public static final class MalformedFrame extends Exception {
        MalformedFrame(String message) {
            super(message, null, false, false);
        }
    }

    // ---- encoding --------------------------------------------------------------------------------

    /**
     * Encodes a message frame: the message's headers and body plus frame attributes.
     *
     * @param headers the message's attributes
     * @param body the body; a JSON body travels as {@code data}, anything else as {@code data_base64}
     * @param frameAttributes {@code courierws*} attributes
     * @return the frame's text
     */
    public static String message(Map<String, String> headers, byte[] body, Map<String, String> frameAttributes) {
        // written by hand (one StringBuilder, no generator or synchronized writer): this runs for every message
        StringBuilder b = new StringBuilder(body.length + 48 * (headers.size() + frameAttributes.size()) + 32);
        char sep = '{';
        for (Map.Entry<String, String> e : headers.entrySet()) {
            field(b.append(sep), e.getKey(), e.getValue());
            sep = ',';
        }
        for (Map.Entry<String, String> e : frameAttributes.entrySet()) {
            field(b.append(sep), e.getKey(), e.getValue());
            sep = ',';
        }
        boolean json = isJsonContent(headers.get("datacontenttype"));
        String text = json ? jsonText(body) : null;
        if (text != null) {
            b.append(sep).append("\"data\":").append(text);
            sep = ',';
        } else if (body.length > 0 || !json) {
            field(b.append(sep), "data_base64", Base64.getEncoder().encodeToString(body));
            sep = ',';
        }
        if (sep == '{') {
            b.append('{');
        }
        return b.append('}').toString();
    }

    /** Appends {@code "name":"value"} (a null value as JSON null), escaped as JSON requires. */
    private static void field(StringBuilder b, String name, String value) {
        quote(b, name);
        b.append(':');
        if (value == null) {
            b.append("null");
        } else {
            quote(b, value);
        }
    }

    /** Appends {@code s} as a JSON string: quote, backslash and control characters escaped, the rest as it is. */
    static void quote(StringBuilder b, String s) {
        b.append('"');
        int from = 0;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                b.append(s, from, i);
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    default -> b.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xf]);
                }
                from = i + 1;
            }
        }
        b.append(s, from, s.length()).append('"');
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /**
     * Encodes a control frame.
     *
     * @param type one of the control types ({@link #CONFIRM}, ...)
     * @param source the CloudEvents source of the sender
     * @param seq the sequence number to echo, or null
     * @param data the frame's data
     * @return the frame's text
     */
    public static String control(String type, String source, String seq, ObjectNode data) {
        return control(type, source, seq, data.toString());
    }

    /** A control frame around {@code data}, which is one JSON object's text. */
    private static String control(String type, String source, String seq, String data) {
        StringBuilder b = new StringBuilder(160 + data.length());
        b.append("{\"specversion\":\"1.0\",\"id\":\"").append(CONTROL_ID_PREFIX).append(CONTROL_IDS.incrementAndGet()).append("\",");
        field(b, "source", source);
        b.append(',');
        field(b, "type", type);
        b.append(",\"datacontenttype\":\"application/json\"");
        if (seq != null) {
            field(b.append(','), SEQ, seq);
        }
        return b.append(",\"data\":").append(data).append('}').toString();
    }

    /**
     * The hub's confirm of the frame numbered {@code seq}: a {@link #CONFIRM} frame with data {@code {"seq": seq}},
     * as {@code control(CONFIRM, source, seq, data().put("seq", seq))} writes it, without building a tree.
     *
     * @param source the hub's CloudEvents source
     * @param seq the sequence number to echo
     * @return the frame's text
     */
    public static String confirm(String source, String seq) {
        StringBuilder d = new StringBuilder(seq.length() + 12).append('{');
        field(d, "seq", seq);
        return control(CONFIRM, source, seq, d.append('}').toString());
    }

    /**
     * The hub's confirm of several publishes at once (feature {@link #FEATURE_BATCH}): a {@link #CONFIRM} frame
     * without {@link #SEQ}, with data {@code {"seqs": [seq, ...]}}; each named publish is confirmed, no other.
     *
     * @param source the hub's CloudEvents source
     * @param seqs the sequence numbers confirmed, at least one
     * @return the frame's text
     */
    public static String confirms(String source, java.util.List<String> seqs) {
        StringBuilder d = new StringBuilder(12 + 10 * seqs.size()).append("{\"seqs\":[");
        for (int i = 0; i < seqs.size(); i++) {
            if (i > 0) {
                d.append(',');
            }
            quote(d, seqs.get(i));
        }
        return control(CONFIRM, source, null, d.append("]}").toString());
    }

    /**
     * An ack of several deliveries at once (feature {@link #FEATURE_BATCH}): an {@link #ACK} frame with data
     * {@code {"tags": [n, ...]}}; each named delivery is acked, no other.
     *
     * @param source the client's CloudEvents source
     * @param tags the deliveries' tags; the first {@code count} are sent
     * @param count how many, at least one
     * @return the frame's text
     */
    public static String acks(String source, long[] tags, int count) {
        StringBuilder d = new StringBuilder(12 + 8 * count).append("{\"tags\":[");
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                d.append(',');
            }
            d.append(tags[i]);
        }
        return control(ACK, source, null, d.append("]}").toString());
    }

    /**
     * Whether a comma-separated feature list (a {@link #FEATURES_HEADER} value) names {@code feature}.
     *
     * @param offered the header's value, or null
     * @param feature the feature's name
     * @return true when named (case-insensitive, blanks around names ignored)
     */
    public static boolean offers(String offered, String feature) {
        if (offered == null) {
            return false;
        }
        for (String f : offered.split(",")) {
            if (f.trim().equalsIgnoreCase(feature)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A settle frame for one delivery: {@link #ACK} ({@code {"tag": n}}) or {@link #REJECT}
     * ({@code {"tag": n, "requeue": b}}), written without building a tree.
     *
     * @param type {@link #ACK} or {@link #REJECT}
     * @param source the client's CloudEvents source
     * @param tag the delivery's tag
     * @param requeue for a reject: whether the hub gives the message to the group again
     * @return the frame's text
     */
    public static String settle(String type, String source, long tag, boolean requeue) {
        String data = type.equals(REJECT) ? "{\"tag\":" + tag + ",\"requeue\":" + requeue + "}" : "{\"tag\":" + tag + "}";
        return control(type, source, null, data);
    }

    /**
     * A new, empty {@code data} object for {@link #control}.
     *
     * @return an empty JSON object
     */
    public static ObjectNode data() {
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
        if (ascii(body)) {
            text = new String(body, StandardCharsets.ISO_8859_1); // ASCII is valid UTF-8: a plain copy
        } else try {
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

    private static boolean ascii(byte[] b) {
        for (byte x : b) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsAValue(byte b) {
        return b == '{' || b == '[' || b == '"' || b == '-' || (b >= '0' && b <= '9') || b == 't' || b == 'f' || b == 'n';
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    // ---- decoding --------------------------------------------------------------------------------

    /**
     * Reads one frame; control frames get their {@code data} parsed, message frames their exact body.
     *
     * @param text one text frame
     * @return the frame
     * @throws MalformedFrame when it is not one CloudEvent in structured JSON mode that we can read
     */
    public static Frame parse(String text) throws MalformedFrame {
        Frame quick = quickControl(text);
        if (quick != null) {
            return quick;
        }
        Map<String, String> headers = new HashMap<>(16);
        Map<String, String> frame = new HashMap<>(4);
        byte[] body = null;
        String dataText = null;
        JsonToken dataToken = null;
        JsonNode controlData = null;
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
                    controlData = null;
                    if (v == JsonToken.START_OBJECT && isControlType(headers.get("type"))) {
                        // a control frame whose type came first (Courier's own do): its data read in this pass
                        controlData = p.readValueAsTree();
                    } else if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
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
                    } else if (headers.put(name, p.getText()) != null && controlData != null) {
                        controlData = null; // an attribute given twice: read the data again below, as before
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
        if (isControlType(type)) {
            JsonNode data;
            try {
                data = controlData != null ? controlData : dataText == null ? JSON.createObjectNode() : JSON.readTree(dataText);
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

    private static final String Q_START = "{\"specversion\":\"1.0\",\"id\":\"";
    private static final String Q_SOURCE = "\",\"source\":\"";
    private static final String Q_TYPE = "\",\"type\":\"";
    private static final String Q_CONTENT = "\",\"datacontenttype\":\"application/json\"";
    private static final String Q_SEQ = ",\"courierwsseq\":\"";
    private static final String Q_DATA = ",\"data\":{";

    /**
     * The confirm and settle frames Courier writes ({@link #confirm}, {@link #settle}: one per message), read
     * without a JSON parser when the text has exactly that shape: the attributes in Courier's order, plain
     * strings (no escapes), data {@code {"seq":"…"}}, {@code {"tag":n}} or {@code {"tag":n,"requeue":b}}, and
     * nothing after. Anything else returns null and is parsed in full; both give the same frame.
     */
    static Frame quickControl(String t) {
        if (!t.startsWith(Q_START)) {
            return null;
        }
        int at = Q_START.length();
        int end = plainString(t, at);
        if (end < 0 || !t.startsWith(Q_SOURCE, end)) {
            return null;
        }
        String id = t.substring(at, end);
        at = end + Q_SOURCE.length();
        end = plainString(t, at);
        if (end < 0 || !t.startsWith(Q_TYPE, end)) {
            return null;
        }
        String source = t.substring(at, end);
        at = end + Q_TYPE.length();
        end = plainString(t, at);
        if (end < 0 || !t.startsWith(CONTROL_PREFIX, at) || !t.startsWith(Q_CONTENT, end)) {
            return null;
        }
        String type = t.substring(at, end);
        at = end + Q_CONTENT.length();
        String seq = null;
        if (t.startsWith(Q_SEQ, at)) {
            at += Q_SEQ.length();
            end = plainString(t, at);
            if (end < 0) {
                return null;
            }
            seq = t.substring(at, end);
            at = end + 1;
        }
        if (!t.startsWith(Q_DATA, at)) {
            return null;
        }
        at += Q_DATA.length();
        ObjectNode data = JSON.createObjectNode();
        if (t.startsWith("\"seq\":\"", at)) {
            at += 7;
            end = plainString(t, at);
            if (end < 0) {
                return null;
            }
            data.put("seq", t.substring(at, end));
            at = end + 1;
        } else if (t.startsWith("\"tag\":", at)) {
            at += 6;
            end = at;
            while (end < t.length() && end - at < 18 && t.charAt(end) >= '0' && t.charAt(end) <= '9') {
                end++;
            }
            if (end == at || (t.charAt(at) == '0' && end - at > 1)) {
                return null;
            }
            long tag = Long.parseLong(t, at, end, 10);
            if (tag <= Integer.MAX_VALUE) {
                data.put("tag", (int) tag); // as Jackson reads it: an int when it fits
            } else {
                data.put("tag", tag);
            }
            at = end;
            if (t.startsWith(",\"requeue\":true", at)) {
                data.put("requeue", true);
                at += 15;
            } else if (t.startsWith(",\"requeue\":false", at)) {
                data.put("requeue", false);
                at += 16;
            }
        } else if (t.startsWith("\"seqs\":[\"", at)) { // feature batch: confirms
            at += 8;
            com.fasterxml.jackson.databind.node.ArrayNode seqs = data.putArray("seqs");
            while (true) {
                at++; // the opening quote
                end = plainString(t, at);
                if (end < 0) {
                    return null;
                }
                seqs.add(t.substring(at, end));
                at = end + 1;
                if (t.startsWith(",\"", at)) {
                    at++;
                } else if (t.startsWith("]", at)) {
                    at++;
                    break;
                } else {
                    return null;
                }
            }
        } else if (t.startsWith("\"tags\":[", at)) { // feature batch: acks
            at += 8;
            com.fasterxml.jackson.databind.node.ArrayNode tags = data.putArray("tags");
            while (true) {
                end = at;
                while (end < t.length() && end - at < 18 && t.charAt(end) >= '0' && t.charAt(end) <= '9') {
                    end++;
                }
                if (end == at || (t.charAt(at) == '0' && end - at > 1) || end == t.length()) {
                    return null;
                }
                long tag = Long.parseLong(t, at, end, 10);
                if (tag <= Integer.MAX_VALUE) {
                    tags.add((int) tag);
                } else {
                    tags.add(tag);
                }
                at = end;
                char c = t.charAt(at++);
                if (c == ']') {
                    break;
                }
                if (c != ',') {
                    return null;
                }
            }
        } else {
            return null;
        }
        if (at + 2 != t.length() || t.charAt(at) != '}' || t.charAt(at + 1) != '}') {
            return null;
        }
        Map<String, String> headers = new HashMap<>(8);
        headers.put("specversion", "1.0");
        headers.put("id", id);
        headers.put("source", source);
        headers.put("type", type);
        headers.put("datacontenttype", "application/json");
        Map<String, String> frame = seq == null ? new HashMap<>(2) : new HashMap<>(Map.of(SEQ, seq));
        return new Frame(headers, frame, new byte[0], data);
    }

    /** The index of the quote closing a JSON string that starts at {@code from} and needs no unescaping; -1 otherwise. */
    private static int plainString(String t, int from) {
        for (int i = from, n = t.length(); i < n; i++) {
            char c = t.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\' || c < 0x20) {
                return -1;
            }
        }
        return -1;
    }

    private static boolean isControlType(String type) {
        return type != null && type.startsWith("dev.courier.control.");
    }

    /**
     * A text field of a control frame's data.
     *
     * @param data the data
     * @param field the field's name
     * @return its text, or null when absent or null
     */
    public static String text(JsonNode data, String field) {
        JsonNode n = data.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /**
     * A query parameter of a URI's resource ({@code /path?a=1&b=2}), URL-decoded.
     *
     * @param resource the path and query, e.g. a handshake's resource descriptor
     * @param name the parameter
     * @return its decoded value, or null when absent
     */
    public static String queryParameter(String resource, String name) {
        int q = resource.indexOf('?');
        if (q < 0) {
            return null;
        }
        for (String pair : resource.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).equals(name)) {
                return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        return null;
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
