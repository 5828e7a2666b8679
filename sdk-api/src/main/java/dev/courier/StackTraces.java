package dev.courier;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Stack traces cut to a byte budget, so dead-letter headers stay far below broker frame limits. Internal. */
final class StackTraces {
    private StackTraces() {
    }

    static String bounded(Throwable t, int maxBytes) {
        StringWriter w = new StringWriter();
        t.printStackTrace(new PrintWriter(w));
        String s = w.toString();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= maxBytes) {
            return s;
        }
        String marker = "\n\t... (truncated)";
        int keep = maxBytes - marker.length();
        String cut = new String(b, 0, keep, StandardCharsets.UTF_8);
        // drop a possibly broken last character
        if (!cut.isEmpty() && cut.charAt(cut.length() - 1) == '\uFFFD') {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + marker;
    }
}
