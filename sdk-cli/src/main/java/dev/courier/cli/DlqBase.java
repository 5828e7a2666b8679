package dev.courier.cli;

import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** What every {@code dlq} command has: the target, the output, the connection. */
abstract class DlqBase implements Callable<Integer> {
    /** How many dead letters a command reads at most unless --scan says otherwise. */
    static final int DEFAULT_SCAN = 10_000;

    @ParentCommand
    DlqCommand dlq;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    Target target;

    @Option(names = "--scan", paramLabel = "<n>", defaultValue = "10000",
            description = "Read at most this many dead letters, oldest first, to find and filter (default: ${DEFAULT-VALUE}).")
    int scan;

    @Option(names = "--verbose", description = "Log what the transport does (debug) on stderr.")
    boolean verbose;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    Context context() {
        return dlq.root.context();
    }

    @Override
    public final Integer call() {
        if (scan < 1) {
            throw new CliException(ExitCodes.USAGE, "--scan must be at least 1, was " + scan);
        }
        check();
        try (MessageBus bus = target.connect(context())) {
            return run(bus);
        }
    }

    /** Checks the arguments before connecting: a usage error never needs a broker. */
    void check() {
    }

    abstract int run(MessageBus bus);

    /** Reads up to --scan dead letters; says on stderr when there may be more. */
    List<DeadLetter> read(MessageBus bus) {
        List<DeadLetter> all;
        try {
            all = bus.deadLetters().list(scan);
        } catch (RuntimeException e) {
            throw new CliException(ExitCodes.CONNECTION, "could not read the dead letters of service '" + target.service
                    + "' at " + Target.redact(target.uri) + ": " + Target.describe(e));
        }
        if (all.size() >= scan) {
            err().println("courier: read the oldest " + scan + " dead letters only; raise --scan to see more");
        }
        return all;
    }
}
