package dev.courier.cli;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/**
 * Everything {@code courier} prints goes through one of these: every secret it was told about (a
 * password, a token) is replaced by {@code ***}, whatever message carried it. A second line of
 * defence: Courier's own messages already leave credentials out.
 */
final class Redacting extends PrintWriter {
    private final Set<String> secrets;

    Redacting(Writer out, Set<String> secrets) {
        super(out, true);
        this.secrets = secrets;
    }

    /** A shared set of secrets for the writers of one run. */
    static Set<String> secrets() {
        return new CopyOnWriteArraySet<>();
    }

    static String redact(String s, Set<String> secrets) {
        if (s == null) {
            return null;
        }
        String out = s;
        for (String secret : secrets) {
            if (secret != null && !secret.isEmpty()) {
                out = out.replace(secret, "***");
            }
        }
        return out;
    }

    @Override
    public void write(String s, int off, int len) {
        String r = redact(s.substring(off, off + len), secrets);
        super.write(r, 0, r.length());
    }

    @Override
    public void write(char[] buf, int off, int len) {
        write(new String(buf, off, len), 0, len);
    }
}
