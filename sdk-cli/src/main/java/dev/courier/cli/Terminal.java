package dev.courier.cli;

import java.io.Console;

/**
 * Where {@code courier} asks the operator something: a password (never echoed) or a confirmation.
 * Prompts go to the terminal itself, never to stdout, so piped output stays clean.
 */
interface Terminal {

    /** @return true when there is a terminal to ask on (stdin and stdout are a console) */
    boolean interactive();

    /** @return the line typed, or null at end of input */
    String readLine(String prompt);

    /** @return the secret typed, not echoed; null at end of input */
    char[] readSecret(String prompt);

    /** The process's console ({@link System#console()}), or a terminal that is not interactive when there is none. */
    static Terminal system() {
        Console c = System.console();
        return new Terminal() {
            @Override
            public boolean interactive() {
                return c != null;
            }

            @Override
            public String readLine(String prompt) {
                return c == null ? null : c.readLine("%s", prompt);
            }

            @Override
            public char[] readSecret(String prompt) {
                return c == null ? null : c.readPassword("%s", prompt);
            }
        };
    }
}
