package dev.courier;

import dev.courier.spi.Headers;
import dev.courier.spi.Limits;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Makes a dead letter storable by construction: fits its headers and body to what the transport can
 * carry, and says in {@link Headers#DL_TRUNCATED} what it changed. In this order:
 * <ol>
 *   <li>a value over its own limit is cut (an over-long {@code id} is replaced by a name-based UUID
 *       of it, so dead letters stay distinct; the note keeps its size and beginning);</li>
 *   <li>when all headers together are still too large: the stack trace shrinks to 256 bytes, then
 *       the largest original headers that are not CloudEvents attributes are dropped, then the error
 *       message is cut and the stack trace dropped;</li>
 *   <li>a body over the limit is cut.</li>
 * </ol>
 * The {@linkplain #minimal minimal form} keeps only the attributes and the diagnostics. Internal.
 */
final class DeadLetterForm {
    /** Budget of the note header's value. */
    static final int NOTE_BYTES = 512;
    private static final int STACK_FLOOR = 256;
    private static final String CUT = "…";
    /** Diagnostics the form never drops (the stack trace may go last). */
    private static final Set<String> DIAGNOSTICS = Set.of(Headers.DL_ERROR_TYPE, Headers.DL_ERROR_MESSAGE,
            Headers.DL_ATTEMPTS, Headers.DL_ADDRESS, Headers.DL_SERVICE, Headers.DL_FIRST_FAILURE,
            Headers.DL_LAST_FAILURE, Headers.DL_STACK_TRACE, Headers.DL_TRUNCATED);

    private DeadLetterForm() {
    }

    /** A dead letter fitted to a transport. */
    record Fitted(Map<String, String> headers, byte[] body) {
    }

    /** Fits {@code headers} (original plus diagnostics) and {@code body} to {@code cap}. */
    static Fitted fit(Map<String, String> headers, byte[] body, Limits cap) {
        Map<String, String> h = new HashMap<>(headers);
        List<String> notes = new ArrayList<>();
        String earlier = h.remove(Headers.DL_TRUNCATED);
        if (earlier != null) {
            notes.add(earlier);
        }
        for (String name : h.keySet().stream().sorted().toList()) {
            String value = h.get(name);
            int bytes = LimitCheck.utf8Length(value);
            boolean attribute = Limits.ATTRIBUTES.contains(name);
            int max = attribute ? cap.maxAttributeBytes() : cap.maxHeaderValueBytes();
            if (bytes <= max) {
                continue;
            }
            if (name.equals(Headers.ID)) {
                h.put(name, UUID.nameUUIDFromBytes(("dead-letter/" + value).getBytes(StandardCharsets.UTF_8)).toString());
                notes.add("id (" + bytes + " bytes, replaced by a UUID of it; began '" + LimitCheck.shortened(value, 40) + "')");
            } else {
                h.put(name, cut(value, max));
                notes.add(name + " (" + bytes + " bytes, cut)");
            }
        }
        int budget = cap.maxHeadersBytes() - LimitCheck.utf8Length(Headers.DL_TRUNCATED) - NOTE_BYTES;
        if (total(h) > budget) {
            shrink(h, Headers.DL_STACK_TRACE, STACK_FLOOR, notes);
        }
        List<String> droppable = h.keySet().stream()
                .filter(n -> !Limits.ATTRIBUTES.contains(n) && !DIAGNOSTICS.contains(n))
                .sorted(Comparator.comparingInt((String n) -> LimitCheck.utf8Length(h.get(n))).reversed()
                        .thenComparing(Comparator.naturalOrder()))
                .toList();
        for (String name : droppable) {
            if (total(h) <= budget) {
                break;
            }
            notes.add(name + " (" + LimitCheck.utf8Length(h.remove(name)) + " bytes, dropped)");
        }
        if (total(h) > budget) {
            shrink(h, Headers.DL_ERROR_MESSAGE, STACK_FLOOR, notes);
        }
        if (total(h) > budget && h.remove(Headers.DL_STACK_TRACE) != null) {
            notes.add(Headers.DL_STACK_TRACE + " (dropped)");
        }
        byte[] b = body;
        if (body.length > cap.maxBodyBytes()) {
            b = Arrays.copyOf(body, cap.maxBodyBytes());
            notes.add("body (" + body.length + " bytes, cut to " + cap.maxBodyBytes() + ")");
        }
        if (!notes.isEmpty()) {
            h.put(Headers.DL_TRUNCATED, cut(String.join("; ", notes), NOTE_BYTES));
        }
        return new Fitted(h, b);
    }

    /**
     * The smallest useful dead letter: the CloudEvents attributes and the diagnostics without the stack
     * trace; every other original header is dropped and named in the note. Then fitted like any other.
     */
    static Fitted minimal(Map<String, String> headers, byte[] body, Limits cap) {
        Map<String, String> h = new HashMap<>();
        List<String> dropped = new ArrayList<>();
        for (Map.Entry<String, String> e : headers.entrySet()) {
            String name = e.getKey();
            if (Limits.ATTRIBUTES.contains(name) || DIAGNOSTICS.contains(name) && !name.equals(Headers.DL_STACK_TRACE)) {
                h.put(name, e.getValue());
            } else {
                dropped.add(name);
            }
        }
        dropped.sort(Comparator.naturalOrder());
        String note = "minimal dead letter; dropped: " + String.join(", ", dropped);
        String earlier = h.get(Headers.DL_TRUNCATED);
        h.put(Headers.DL_TRUNCATED, earlier == null ? note : note + "; " + earlier);
        return fit(h, body, cap);
    }

    private static void shrink(Map<String, String> h, String name, int floor, List<String> notes) {
        String v = h.get(name);
        if (v == null) {
            return;
        }
        int bytes = LimitCheck.utf8Length(v);
        if (bytes > floor) {
            h.put(name, cut(v, floor));
            notes.add(name + " (" + bytes + " bytes, cut to fit)");
        }
    }

    private static int total(Map<String, String> h) {
        int n = 0;
        for (Map.Entry<String, String> e : h.entrySet()) {
            n += LimitCheck.utf8Length(e.getKey()) + LimitCheck.utf8Length(e.getValue());
        }
        return n;
    }

    /** {@code s} cut to at most {@code maxBytes} UTF-8 bytes on a character boundary, marked when cut. */
    static String cut(String s, int maxBytes) {
        if (LimitCheck.utf8Length(s) <= maxBytes) {
            return s;
        }
        int keep = maxBytes - LimitCheck.utf8Length(CUT);
        int bytes = 0;
        int i = 0;
        while (i < s.length()) {
            int cp = s.codePointAt(i);
            int len = LimitCheck.utf8Length(new String(Character.toChars(cp)));
            if (bytes + len > keep) {
                break;
            }
            bytes += len;
            i += Character.charCount(cp);
        }
        return s.substring(0, i) + CUT;
    }
}
