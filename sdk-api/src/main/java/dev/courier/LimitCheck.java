package dev.courier;

import dev.courier.spi.Headers;
import dev.courier.spi.Limits;

import java.util.Map;

/** The one place message sizes are measured, in UTF-8 bytes, against {@link Limits}. Internal. */
final class LimitCheck {
    private LimitCheck() {
    }

    /**
     * Throws {@link LimitExceededException} for the first limit {@code headers}/{@code body} of the
     * message {@code what} names break. {@code what} is only called when a limit may be broken: the
     * usual message costs one pass over the headers' lengths and no text.
     */
    static void check(Limits limits, java.util.function.Supplier<String> what, Map<String, String> headers, byte[] body) {
        if (!fits(limits, headers, body)) {
            check(limits, what.get(), headers, body);
        }
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

    /**
     * True when no limit can be broken, measured cheaply: a UTF-16 char takes at most 3 UTF-8 bytes
     * (a surrogate pair 4 for 2 chars), so {@code 3 × length} bounds every string from above, and only
     * a string whose bound passes its limit is measured exactly. False means "maybe": {@link
     * #check(Limits, String, Map, byte[])} then decides and names the limit.
     */
    static boolean fits(Limits limits, Map<String, String> headers, byte[] body) {
        if (body != null && body.length > limits.maxBodyBytes()) {
            return false;
        }
        Sizer sizer = new Sizer(limits);
        headers.forEach(sizer); // no entry objects (an unmodifiable map's entrySet wraps each entry)
        return !sizer.broken && sizer.total <= limits.maxHeadersBytes();
    }

    /** Sums the bytes of the headers (upper bounds where they are small enough), noting a broken value limit. */
    private static final class Sizer implements java.util.function.BiConsumer<String, String> {
        private final Limits limits;
        private final int smallest;
        long total;
        boolean broken;

        Sizer(Limits limits) {
            this.limits = limits;
            this.smallest = Math.min(limits.maxAttributeBytes(), limits.maxHeaderValueBytes());
        }

        @Override
        public void accept(String name, String value) {
            long nameBytes = name == null ? 0 : 3L * name.length();
            if (nameBytes > limits.maxHeadersBytes()) {
                nameBytes = utf8Length(name);
            }
            long valueBytes = value == null ? 0 : 3L * value.length();
            if (valueBytes > smallest) {
                valueBytes = utf8Length(value);
                int limit = Limits.ATTRIBUTES.contains(name) ? limits.maxAttributeBytes() : limits.maxHeaderValueBytes();
                if (valueBytes > limit) {
                    broken = true;
                }
            }
            total += nameBytes + valueBytes;
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
