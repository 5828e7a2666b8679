package dev.courier.mqtt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.courier.spi.Headers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CloudEvents JSON format (structured mode) for MQTT 3.1.1: every header is a string member; a JSON body
 * whose content type is JSON goes in {@code data} byte for byte, anything else in {@code data_base64}.
 * Decoding gives back exactly the header map and bytes that were encoded. Internal.
 */
final class StructuredJson {
    static final String CONTENT_TYPE = "application/cloudevents+json";
    private static final JsonFactory JSON = new JsonFactory();

    /** A decoded structured event. */
    record Decoded(Map<String, String> headers, byte[] body) {
    }

    private StructuredJson() {
    }

    static byte[] encode(Map<String, String> headers, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 64 * headers.size() + 32);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, String> e : headers.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            if (body.length > 0) {
                if (isJsonType(headers.get(Headers.DATACONTENTTYPE)) && isJson(body)) {
                    g.writeFieldName("data");
                    g.writeRawValue(new String(body, StandardCharsets.UTF_8));
                } else {
                    g.writeStringField("data_base64", Base64.getEncoder().encodeToString(body));
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Decodes a structured event; bytes that are not one yield no headers and the bytes as the body. */
    static Decoded decode(byte[] raw) {
        Map<String, String> h = new HashMap<>();
        byte[] body = new byte[0];
        try (JsonParser p = JSON.createParser(raw)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new Decoded(Map.of(), raw);
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (name.equals("data")) {
                    int start = (int) p.currentTokenLocation().getByteOffset();
                    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                        p.skipChildren();
                    } else {
                        p.finishToken(); // a string is read lazily: without this the end is its first byte
                    }
                    int end = (int) p.currentLocation().getByteOffset();
                    body = Arrays.copyOfRange(raw, start, end);
                } else if (name.equals("data_base64")) {
                    body = Base64.getDecoder().decode(p.getText());
                } else if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                    p.skipChildren();
                } else if (t != JsonToken.VALUE_NULL) {
                    h.put(name, p.getText());
                }
            }
            return new Decoded(h, body);
        } catch (IOException | IllegalArgumentException e) {
            return new Decoded(Map.of(), raw);
        }
    }

    static boolean isJsonType(String contentType) {
        if (contentType == null) {
            return true;
        }
        String ct = contentType.toLowerCase(Locale.ROOT);
        int semi = ct.indexOf(';');
        if (semi >= 0) {
            ct = ct.substring(0, semi);
        }
        ct = ct.trim();
        return ct.equals("application/json") || ct.equals("text/json") || ct.endsWith("+json");
    }

    static boolean isJson(byte[] body) {
        // only bodies that come back byte for byte: no surrounding whitespace, ASCII start (so UTF-8)
        if (body.length == 0 || Character.isWhitespace(body[0]) || Character.isWhitespace(body[body.length - 1])
                || body[0] <= 0) {
            return false;
        }
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() == null) {
                return false;
            }
            p.skipChildren();
            return p.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }
}
