package dev.courier.amqp;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Checks one AMQP content-header frame (the message's properties) before amqp-client parses it, and
 * rewrites it when amqp-client would otherwise break the whole connection on it. RabbitMQ passes
 * three things through that make amqp-client 5.x close the connection (and so every consumer on it,
 * and the broker then delivers the same message again, forever): a body over the client's inbound
 * size cap, a header table nested so deeply that its recursive reader overflows the stack (and,
 * before that, reads in time quadratic in the depth: 8,000 levels took 16 s, 26,000 levels six
 * minutes), and a field of type {@code 'L'} (unsigned 64-bit), which RabbitMQ accepts and amqp-client
 * does not know. Here the table is walked once, without recursion, and:
 * <ul>
 *   <li>a top-level header whose value is nested deeper than {@link #MAX_DEPTH} or holds a field type
 *       amqp-client cannot read is dropped, and {@link #DROPPED} says which and why;</li>
 *   <li>a body over the limit is announced as empty and its bytes are skipped unread by
 *       {@link FrameGuard}; {@link #BODY_BYTES} carries its real size;</li>
 *   <li>both marker names, when a publisher sets them itself, are removed: only this class sets them.</li>
 * </ul>
 * Nothing else changes: a frame that needs none of this is returned as it came. Internal.
 */
final class HeaderFrame {
    /** Header set on a message whose body was over the limit and skipped: its size in bytes (long). */
    static final String BODY_BYTES = "x-courier-body-bytes";
    /** Header set on a message whose headers were dropped: their names and why (long string). */
    static final String DROPPED = "x-courier-dropped";
    /** Tables and arrays nested deeper than this are dropped (x-death, the deepest RabbitMQ writes, is 3). */
    static final int MAX_DEPTH = 32;

    private static final int BASIC_CLASS = 60;
    private static final int HEADERS_FLAG = 0x2000;

    private HeaderFrame() {
    }

    /** The rewritten payload, and how many body bytes must be skipped unread (0 when none). */
    record Rewrite(byte[] payload, long skipBody) {
    }

    /** Thrown by the walk: the value cannot be handed to amqp-client. */
    private static final class Bad extends Exception {
        final boolean malformed;

        Bad(String reason, boolean malformed) {
            super(reason, null, false, false);
            this.malformed = malformed;
        }
    }

    /** Null when the frame is fine as it is; otherwise the payload to hand on instead. */
    static Rewrite inspect(byte[] p, long maxBody) {
        if (p.length < 14) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(p);
        if ((b.getShort(0) & 0xffff) != BASIC_CLASS) {
            return null;
        }
        long bodySize = b.getLong(4);
        int flags = b.getShort(12) & 0xffff;
        if ((flags & 1) != 0) {
            return null; // a continued flag word: not basic's shape; amqp-client decides
        }
        int pos = 14;
        for (int bit : new int[] {0x8000, 0x4000}) { // content-type, content-encoding: short strings
            if ((flags & bit) != 0) {
                if (pos >= p.length) {
                    return null;
                }
                pos += 1 + (p[pos] & 0xff);
            }
        }
        if (pos > p.length) {
            return null;
        }
        boolean hasTable = (flags & HEADERS_FLAG) != 0;
        int tableStart = pos;
        int tableEnd = pos;
        int[] kept = new int[16]; // start/end pairs of the entries handed on, filled as the table is walked
        int keptCount = 0;
        StringBuilder dropped = new StringBuilder();
        boolean changed = false;
        if (hasTable) {
            if (pos + 4 > p.length) {
                return null;
            }
            int len = b.getInt(pos);
            tableEnd = pos + 4 + len;
            if (len < 0 || tableEnd > p.length) {
                return null;
            }
            int i = pos + 4;
            while (i < tableEnd) {
                int entryStart = i;
                int keyLen = p[i] & 0xff;
                if (i + 1 + keyLen >= tableEnd) {
                    note(dropped, "(the rest of the table)", "unreadable");
                    changed = true;
                    break;
                }
                int valueAt = i + 1 + keyLen;
                try {
                    i = walk(p, valueAt, tableEnd);
                } catch (Bad bad) {
                    note(dropped, new String(p, entryStart + 1, keyLen, StandardCharsets.UTF_8), bad.getMessage());
                    changed = true;
                    if (bad.malformed) {
                        break; // cannot find where the next entry starts
                    }
                    i = skip(p, valueAt, tableEnd);
                    if (i < 0) {
                        note(dropped, "(the rest of the table)", "unreadable after it");
                        break;
                    }
                    continue;
                }
                if (isMarker(p, entryStart + 1, keyLen)) {
                    changed = true; // a publisher's own marker is never trusted
                    continue;
                }
                if (keptCount + 2 > kept.length) {
                    kept = java.util.Arrays.copyOf(kept, kept.length * 2);
                }
                kept[keptCount++] = entryStart;
                kept[keptCount++] = i;
            }
        }
        boolean oversize = bodySize > maxBody;
        if (!changed && !oversize) {
            return null;
        }
        ByteArrayOutputStream table = new ByteArrayOutputStream(tableEnd - tableStart + 64);
        for (int k = 0; k < keptCount; k += 2) {
            table.write(p, kept[k], kept[k + 1] - kept[k]);
        }
        if (dropped.length() > 0) {
            entry(table, DROPPED, 'S', text(dropped.toString()));
        }
        if (oversize) {
            entry(table, BODY_BYTES, 'l', ByteBuffer.allocate(8).putLong(bodySize).array());
        }
        ByteBuffer out = ByteBuffer.allocate(tableStart + 4 + table.size() + (p.length - tableEnd));
        out.put(p, 0, 4);
        out.putLong(oversize ? 0 : bodySize);
        out.putShort((short) (flags | HEADERS_FLAG));
        out.put(p, 14, tableStart - 14);
        out.putInt(table.size());
        out.put(table.toByteArray());
        out.put(p, tableEnd, p.length - tableEnd);
        return new Rewrite(out.array(), oversize ? bodySize : 0);
    }

    private static final byte[][] MARKERS = {BODY_BYTES.getBytes(StandardCharsets.UTF_8),
            DROPPED.getBytes(StandardCharsets.UTF_8)};

    private static boolean isMarker(byte[] p, int at, int len) {
        for (byte[] m : MARKERS) {
            if (m.length == len && java.util.Arrays.equals(p, at, at + len, m, 0, len)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Walks the field value whose type byte is at {@code i}, containers included, without recursion;
     * returns where it ends. Fails on a type amqp-client 5.x cannot read, on nesting deeper than
     * {@link #MAX_DEPTH}, and on lengths that run past {@code limit} (malformed).
     */
    private static int walk(byte[] p, int i, int limit) throws Bad {
        Deque<int[]> open = null; // {end, 1 for a table (entries have keys), 0 for an array}; made for containers only
        int end = limit;
        while (true) {
            if (i >= end) {
                throw new Bad("unreadable", true);
            }
            char t = (char) (p[i++] & 0xff);
            switch (t) {
                case 't', 'b', 'B' -> i += 1;
                case 's', 'u' -> i += 2;
                case 'I', 'i', 'f' -> i += 4;
                case 'l', 'd', 'T' -> i += 8;
                case 'D' -> i += 5;
                case 'V' -> { }
                case 'S', 'x' -> i = i + 4 + length(p, i, end);
                case 'A', 'F' -> {
                    int n = length(p, i, end);
                    i += 4;
                    if (open == null) {
                        open = new ArrayDeque<>();
                    }
                    if (open.size() + 1 > MAX_DEPTH) {
                        throw new Bad("nested deeper than " + MAX_DEPTH + " levels", false);
                    }
                    open.push(new int[] {i + n, t == 'F' ? 1 : 0});
                    end = i + n;
                }
                default -> throw new Bad("field type '" + t + "' (" + (int) t + "), which amqp-client cannot read", false);
            }
            if (i > end) {
                throw new Bad("unreadable", true);
            }
            if (open == null) {
                return i; // a scalar
            }
            while (!open.isEmpty()) { // step to the next value, closing finished containers
                int[] top = open.peek();
                if (i < top[0]) {
                    if (top[1] == 1) {
                        i += 1 + (p[i] & 0xff); // the entry's key
                    }
                    break;
                }
                open.pop();
                end = open.isEmpty() ? limit : open.peek()[0];
            }
            if (open.isEmpty()) {
                return i;
            }
        }
    }

    /**
     * Where the refused value at {@code i} ends, without looking inside it: a container's outer length
     * was checked before its contents, and {@code 'L'} is 8 bytes; -1 for any other type (its size is
     * unknown, so the rest of the table cannot be read).
     */
    private static int skip(byte[] p, int i, int limit) {
        char t = (char) (p[i] & 0xff);
        int end = t == 'A' || t == 'F' ? i + 5 + ByteBuffer.wrap(p).getInt(i + 1) : t == 'L' ? i + 9 : -1;
        return end > i && end <= limit ? end : -1;
    }

    private static int length(byte[] p, int i, int end) throws Bad {
        if (i + 4 > end) {
            throw new Bad("unreadable", true);
        }
        int n = ByteBuffer.wrap(p).getInt(i);
        if (n < 0 || i + 4 + n > end) {
            throw new Bad("unreadable", true);
        }
        return n;
    }

    private static void note(StringBuilder dropped, String key, String why) {
        if (dropped.length() < 900) {
            dropped.append(dropped.length() == 0 ? "" : "; ").append(key.length() > 60 ? key.substring(0, 60) + "…" : key)
                    .append(": ").append(why);
        }
    }

    private static byte[] text(String s) {
        byte[] v = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + v.length).putInt(v.length).put(v).array();
    }

    private static void entry(ByteArrayOutputStream out, String key, char type, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        out.write(k.length);
        out.write(k, 0, k.length);
        out.write(type);
        out.write(value, 0, value.length);
    }
}
