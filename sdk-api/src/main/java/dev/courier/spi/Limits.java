package dev.courier.spi;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How large a message may be, in UTF-8 bytes. The bus checks every message once, where it is made
 * (publish, send, request, reply, a held message, an outbox row), against the smaller of
 * {@link #DEFAULTS} and what the transport states in {@link Transport#limits()}, and fails with
 * {@link dev.courier.LimitExceededException} naming the limit; an incoming message that breaks one
 * goes to the dead letter at once, with the reason. Dead letters are fitted to the transport's own
 * limits so they can always be stored.
 *
 * @param maxAttributeBytes   each of the {@link #ATTRIBUTES}: the CloudEvents attributes a transport
 *                            may put in a protocol field of its own (AMQP short strings hold 255 bytes)
 * @param maxHeaderValueBytes any one header value
 * @param maxHeadersBytes     all headers together: the bytes of every name plus every value
 * @param maxBodyBytes        the body
 */
public record Limits(int maxAttributeBytes, int maxHeaderValueBytes, int maxHeadersBytes, int maxBodyBytes) {

    /** Courier's own ceiling: 200-byte attributes, 16 KiB header values, 64 KiB of headers, 16 MiB bodies. */
    public static final Limits DEFAULTS = new Limits(200, 16 * 1024, 64 * 1024, 16 * 1024 * 1024);

    /** The attributes bounded by {@link #maxAttributeBytes}. */
    public static final Set<String> ATTRIBUTES = Set.of(Headers.ID, Headers.SOURCE, Headers.TYPE, Headers.SPECVERSION,
            Headers.DATACONTENTTYPE, Headers.TIME, Headers.SUBJECT, Headers.CORRELATION_ID, Headers.CAUSATION_ID,
            Headers.REPLY_TO);

    /** The smallest stated attribute limit a transport may have: Courier's own ids must fit. */
    public static final int MIN_ATTRIBUTE_BYTES = 64;
    /** The smallest stated header-value limit: a dead letter's diagnostics must fit. */
    public static final int MIN_HEADER_VALUE_BYTES = 1024;
    /** The smallest stated limit for all headers together. */
    public static final int MIN_HEADERS_BYTES = 4096;

    /**
     * Checks every limit against the minimums above.
     *
     * @param maxAttributeBytes   each of the {@link #ATTRIBUTES}, at least {@link #MIN_ATTRIBUTE_BYTES}
     * @param maxHeaderValueBytes any one header value, at least {@link #MIN_HEADER_VALUE_BYTES} and
     *                            {@code maxAttributeBytes}
     * @param maxHeadersBytes     all headers together, at least {@link #MIN_HEADERS_BYTES} and
     *                            {@code maxHeaderValueBytes}
     * @param maxBodyBytes        the body, at least 1
     * @throws dev.courier.ConfigurationException naming every limit that is too small at once
     */
    public Limits {
        List<String> problems = new ArrayList<>();
        if (maxAttributeBytes < MIN_ATTRIBUTE_BYTES) {
            problems.add("maxAttributeBytes must be at least " + MIN_ATTRIBUTE_BYTES + ", was " + maxAttributeBytes);
        }
        if (maxHeaderValueBytes < Math.max(MIN_HEADER_VALUE_BYTES, maxAttributeBytes)) {
            problems.add("maxHeaderValueBytes must be at least " + MIN_HEADER_VALUE_BYTES + " and maxAttributeBytes, was "
                    + maxHeaderValueBytes);
        }
        if (maxHeadersBytes < Math.max(MIN_HEADERS_BYTES, maxHeaderValueBytes)) {
            problems.add("maxHeadersBytes must be at least " + MIN_HEADERS_BYTES + " and maxHeaderValueBytes, was "
                    + maxHeadersBytes);
        }
        if (maxBodyBytes < 1) {
            problems.add("maxBodyBytes must be positive, was " + maxBodyBytes);
        }
        if (!problems.isEmpty()) {
            throw new dev.courier.ConfigurationException("invalid transport limits: " + String.join("; ", problems));
        }
    }

    /**
     * Each limit the smaller of this one's and {@code other}'s.
     *
     * @param other the other limits; never null
     * @return new limits, each the smaller of the two
     */
    public Limits min(Limits other) {
        return new Limits(Math.min(maxAttributeBytes, other.maxAttributeBytes),
                Math.min(maxHeaderValueBytes, other.maxHeaderValueBytes),
                Math.min(maxHeadersBytes, other.maxHeadersBytes), Math.min(maxBodyBytes, other.maxBodyBytes));
    }

    /**
     * The number of bytes {@code s} takes in UTF-8, counted without encoding it: the one measure every
     * limit is checked in. An unpaired surrogate counts as the one byte ('?') Java writes for it.
     *
     * @param s the text; null counts as 0 bytes
     * @return its length in UTF-8 bytes
     */
    public static int utf8Length(String s) {
        if (s == null) {
            return 0;
        }
        int n = 0;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
