package dev.courier.jdbc;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The form in which the inbox stores a message id. An id the {@code message_id} column keeps
 * exactly, on both databases, is stored as it is; any other is stored as {@value #HASHED} followed
 * by the SHA-256 (hex) of its UTF-16 code units, 71 characters:
 * <ul>
 *   <li>longer than {@value #MAX_AS_IS} UTF-16 units (the column holds 255 characters);</li>
 *   <li>containing NUL (PostgreSQL text cannot hold it) or an unpaired surrogate (drivers write it
 *       as '?', so two such ids would share a row);</li>
 *   <li>ending in a space (MariaDB's PAD SPACE collations make {@code "a "} equal to {@code "a"});</li>
 *   <li>starting with {@value #HASHED} itself, so no id can take another id's hashed form.</li>
 * </ul>
 * Two different ids therefore share a row only if their SHA-256 digests collide. Internal.
 */
final class StoredId {
    /** The longest id stored as it is, in UTF-16 units (at most that many characters). */
    static final int MAX_AS_IS = 255;
    static final String HASHED = "sha256~";

    private StoredId() {
    }

    static String of(String id) {
        return storableAsIs(id) ? id : HASHED + sha256(id);
    }

    static boolean storableAsIs(String id) {
        int n = id.length();
        return n > 0 && n <= MAX_AS_IS && id.charAt(n - 1) != ' ' && !id.startsWith(HASHED) && isPlainText(id);
    }

    /** True when {@code s} has no NUL and no unpaired surrogate: both databases store it exactly. */
    static boolean isPlainText(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** The id for log lines and error messages: control characters escaped, cut after 64 characters. */
    static String show(String id) {
        if (id == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(id.length(), 64);
        for (int i = 0; i < n; i++) {
            char c = id.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append('\'');
        if (id.length() > n) {
            b.append("... (").append(id.length()).append(" characters)");
        }
        return b.toString();
    }

    private static String sha256(String id) {
        byte[] units = new byte[id.length() * 2];
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            units[2 * i] = (byte) (c >> 8);
            units[2 * i + 1] = (byte) c;
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(units));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
