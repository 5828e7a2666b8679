package dev.courier.cli;

import dev.courier.spi.Transport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Runs {@code courier} in-process (picocli's CommandLine.execute) with captured stdout and stderr. */
final class Cli {
    private Cli() {
    }

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }

        List<String> outLines() {
            return out.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static Result run(Map<String, String> env, Terminal terminal, String... args) {
        return run(null, env, terminal, args);
    }

    /** With the transport courier connects with given (any URI). */
    static Result run(Function<String, Transport> transports, Map<String, String> env, Terminal terminal, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Courier.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env, terminal, transports);
        return new Result(code, out.toString(), err.toString());
    }

    static Result run(String... args) {
        return run(Map.of(), FakeTerminal.none(), args);
    }

    /** A terminal for tests: interactive or not, with the answers and secret it will give. */
    static final class FakeTerminal implements Terminal {
        final boolean interactive;
        final Deque<String> answers = new ArrayDeque<>();
        final String secret;
        final List<String> prompts = new ArrayList<>();

        FakeTerminal(boolean interactive, String secret, String... answers) {
            this.interactive = interactive;
            this.secret = secret;
            this.answers.addAll(List.of(answers));
        }

        static FakeTerminal none() {
            return new FakeTerminal(false, null);
        }

        static FakeTerminal answering(String... answers) {
            return new FakeTerminal(true, null, answers);
        }

        @Override
        public boolean interactive() {
            return interactive;
        }

        @Override
        public String readLine(String prompt) {
            prompts.add(prompt);
            return answers.poll();
        }

        @Override
        public char[] readSecret(String prompt) {
            prompts.add(prompt);
            return secret == null ? null : secret.toCharArray();
        }
    }
}
