package dev.courier;

import dev.courier.spi.Headers;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * W3C trace context without a tracer: every message this bus makes gets a {@code traceparent} of
 * its own — the trace id and flags of the message being handled (or of a new trace for a root
 * message), and a new random parent id — and the handled message's {@code tracestate}. So each hop
 * names itself as the parent of the next, as the W3C Trace Context recommendation asks of a
 * participant, and a tracing backend can order the hops. A {@code traceparent} the user (or an
 * interceptor) set is kept as it is. Internal.
 */
final class TraceContext {
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** Flags of a trace Courier starts: sampled, so tracers downstream that follow their parent record it. */
    static final String NEW_TRACE_FLAGS = "01";

    private TraceContext() {
    }

    /** Puts the trace context of a new message made while handling {@code parent} (null: a root message). */
    static void next(Map<String, String> h, Envelope parent) {
        if (h.containsKey(Headers.TRACEPARENT)) {
            return;
        }
        String tp = parent == null ? null : parent.header(Headers.TRACEPARENT);
        if (tp != null && isValid(tp)) {
            h.put(Headers.TRACEPARENT, "00-" + tp.substring(3, 35) + "-" + newSpanId() + "-" + tp.substring(53, 55));
            String state = parent.header(Headers.TRACESTATE);
            if (state != null && !h.containsKey(Headers.TRACESTATE)) {
                h.put(Headers.TRACESTATE, state);
            }
        } else {
            h.put(Headers.TRACEPARENT, newTraceparent());
        }
    }

    /**
     * True for a traceparent Courier can continue: version 00 (exactly 55 characters) or a later one
     * (not ff; 55 characters or more, a '-' after the flags), lower-case hex, trace id and parent id
     * not all zeros.
     */
    static boolean isValid(String tp) {
        int n = tp.length();
        if (n < 55 || tp.charAt(2) != '-' || tp.charAt(35) != '-' || tp.charAt(52) != '-') {
            return false;
        }
        if (!hex(tp, 0, 2) || !hex(tp, 3, 35) || !hex(tp, 36, 52) || !hex(tp, 53, 55)) {
            return false;
        }
        if (tp.startsWith("ff")) {
            return false;
        }
        if (tp.startsWith("00") ? n != 55 : n > 55 && tp.charAt(55) != '-') {
            return false;
        }
        return !zeros(tp, 3, 35) && !zeros(tp, 36, 52);
    }

    /** 16 random bytes, never all zero, as 32 lower-case hex characters. */
    /** {@code 00-<new trace id>-<new span id>-01}, written in one go (what the concatenation gives, in one allocation). */
    static String newTraceparent() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = r.nextLong();
        long lo = r.nextLong();
        if (hi == 0 && lo == 0) {
            lo = 1;
        }
        long span = r.nextLong();
        byte[] b = new byte[55];
        b[0] = '0';
        b[1] = '0';
        b[2] = '-';
        hex(hi, b, 3);
        hex(lo, b, 19);
        b[35] = '-';
        hex(span == 0 ? 1 : span, b, 36);
        b[52] = '-';
        b[53] = (byte) NEW_TRACE_FLAGS.charAt(0);
        b[54] = (byte) NEW_TRACE_FLAGS.charAt(1);
        return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void hex(long v, byte[] into, int at) {
        for (int i = at + 15; i >= at; i--) {
            into[i] = (byte) HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
    }

    static String newTraceId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long hi = r.nextLong();
        long lo = r.nextLong();
        if (hi == 0 && lo == 0) {
            lo = 1;
        }
        return hex(hi) + hex(lo);
    }

    /** 8 random bytes, never all zero, as 16 lower-case hex characters. */
    static String newSpanId() {
        long v = ThreadLocalRandom.current().nextLong();
        return hex(v == 0 ? 1 : v);
    }

    private static String hex(long v) {
        char[] c = new char[16];
        for (int i = 15; i >= 0; i--) {
            c[i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
        return new String(c);
    }

    private static boolean hex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean zeros(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }
}
