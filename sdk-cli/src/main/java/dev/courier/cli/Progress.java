package dev.courier.cli;

import java.io.PrintWriter;

/**
 * Progress of a long run on stderr: a bar redrawn in place on a terminal; otherwise (a log file, CI)
 * a line at every tenth once there are 20 or more. stdout keeps only the per-id report.
 */
final class Progress {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private final boolean terminal;
    private final int total;
    private final String verb;
    private int done;
    private int drawn;

    Progress(PrintWriter err, boolean terminal, int total, String verb) {
        this.err = err;
        this.terminal = terminal;
        this.total = total;
        this.verb = verb;
    }

    void step() {
        done++;
        if (terminal && total > 1) {
            int filled = (int) ((long) WIDTH * done / total);
            String bar = verb + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + total;
            err.print("\r" + bar);
            err.flush();
            drawn = bar.length();
        } else if (!terminal && total >= 20 && (done * 10 / total) != ((done - 1) * 10 / total)) {
            err.println(verb + ": " + done + "/" + total);
        }
    }

    /** Wipes the bar off the terminal line, so a line on stdout does not run into it. */
    void clear() {
        if (drawn > 0) {
            err.print("\r" + " ".repeat(drawn) + "\r");
            err.flush();
            drawn = 0;
        }
    }

    void done() {
        clear();
    }
}
