package dev.courier.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding for MQTT 5 user property values that hold characters brokers refuse in UTF-8
 * strings (U+0000-U+001F, U+007F-U+009F, unpaired surrogates): those characters and '%' become
 * {@code %XX} of their UTF-8 bytes, as in the CloudEvents HTTP binding. Internal.
 */
final class PropertyText {
    private PropertyText() {
    }

    static boolean needsEncoding(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    static String encode(String v) {
        StringBuilder b = new StringBuilder(v.length() + 16);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%' || c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                for (byte x : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
                    b.append('%').append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
                }
            } else if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                    b.append(c).append(v.charAt(++i));
                } else {
                    b.append("%ef%bf%bd"); // an unpaired surrogate cannot travel; U+FFFD instead
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static String decode(String v) {
        if (v.indexOf('%') < 0) {
            return v;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(v.length());
        byte[] raw = v.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%' && i + 2 < raw.length + 0 && i + 2 <= raw.length - 1) {
                int hi = Character.digit(raw[i + 1], 16);
                int lo = Character.digit(raw[i + 2], 16);
                if (hi >= 0 && lo >= 0) {
                    out.write((hi << 4) | lo);
                    i += 2;
                    continue;
                }
            }
            out.write(raw[i]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
