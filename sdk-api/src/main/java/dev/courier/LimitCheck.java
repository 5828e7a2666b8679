package dev.courier;

import dev.courier.spi.Headers;
import dev.courier.spi.Limits;

import java.util.Map;

/** The one place message sizes are measured, in UTF-8 bytes, against {@link Limits}. Internal. */
final class LimitCheck {
    private LimitCheck() {
    }

    /** Throws {@link LimitExceededException} for the first limit {@code headers}/{@code body} of {@code what} break. */
    static void check(Limits limits, String what, Map<String, String> headers, byte[] body) {
        checkValue(limits, what, Headers.ID, headers.get(Headers.ID)); // first: a root's correlation id is its id
        long total = 0;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            total += utf8Length(e.getKey()) + checkValue(limits, what, e.getKey(), e.getValue());
        }
        if (total > limits.maxHeadersBytes()) {
            throw new LimitExceededException("the headers of " + what, "maxHeadersBytes", total, limits.maxHeadersBytes());
        }
        if (body != null && body.length > limits.maxBodyBytes()) {
            throw new LimitExceededException("the body of " + what, "maxBodyBytes", body.length, limits.maxBodyBytes());
        }
    }

    private static int checkValue(Limits limits, String what, String name, String value) {
        int bytes = utf8Length(value);
        if (Limits.ATTRIBUTES.contains(name)) {
            if (bytes > limits.maxAttributeBytes()) {
                throw new LimitExceededException("header '" + name + "' of " + what, "maxAttributeBytes", bytes,
                        limits.maxAttributeBytes());
            }
        } else if (bytes > limits.maxHeaderValueBytes()) {
            throw new LimitExceededException("header '" + name + "' of " + what, "maxHeaderValueBytes", bytes,
                    limits.maxHeaderValueBytes());
        }
        return bytes;
    }

    /** {@code s} cut to about {@code max} characters for a message, marked when cut. */
    static String shortened(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "…";
    }

    /** Bytes of {@code s} in UTF-8, without encoding it (unpaired surrogates count as the 1-byte '?' Java writes). */
    static int utf8Length(String s) {
        return dev.courier.spi.Limits.utf8Length(s);
    }
}
