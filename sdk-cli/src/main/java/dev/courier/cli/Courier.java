package dev.courier.cli;

import dev.courier.spi.Transport;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code courier} command line: a service's dead letters on any broker, without writing Java.
 * {@code java -jar courier-cli.jar --help} lists the commands; docs/operations.md walks through an
 * incident with it.
 *
 * <p>Exit codes (also in every command's {@code --help}): 0 done; 1 some or all selected dead
 * letters failed; 2 usage; 3 could not connect or log in; 4 an id given is not a dead letter; 5 the
 * confirmation was declined.
 */
@Command(name = "courier",
        headerHeading = "%nNAME%n  courier - ",
        header = "work with a Courier service's dead letters from the command line",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "Lists, shows, replays and discards the dead letters of one service on any Courier transport"
                        + " (RabbitMQ, MQTT, Kafka, the WebSocket hub), as the service's own MessageBus.deadLetters() would."
                        + " Replay sends a dead letter back to that service only, keeping its id."},
        optionListHeading = "%nOPTIONS%n",
        commandListHeading = "%nCOMMANDS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_FAILED, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION,
                ExitCodes.H_NOT_FOUND, ExitCodes.H_DECLINED},
        footerHeading = "%nSEE ALSO%n",
        footer = {"  courier dlq --help                     the dead-letter commands",
                "  docs/operations.md                     from an alert to a replay, step by step",
                "  source <(courier generate-completion)  bash completion (also built as courier_completion)"},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        subcommands = {DlqCommand.class, AutoComplete.GenerateCompletion.class})
public final class Courier implements Runnable {
    private final Context context;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The command as run from {@link #main}: the process's environment and console. */
    public Courier() {
        this(new Context(System.getenv(), Terminal.system(), Redacting.secrets()));
    }

    Courier(Context context) {
        this.context = context;
    }

    Context context() {
        return context;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Runs {@code courier} and exits with its code.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        for (String a : args) {
            if (a.equals("--verbose")) {
                System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
            }
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(args, out, err, System.getenv(), Terminal.system());
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line; what it prints goes to {@code out} and {@code err}, with every secret redacted. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, Terminal terminal) {
        return run(args, out, err, env, terminal, null);
    }

    /** As above, with the transport for a URI given (tests); null: found by the URI's scheme. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env, Terminal terminal,
                   Function<String, Transport> transports) {
        Set<String> secrets = Redacting.secrets();
        Courier root = new Courier(new Context(env, terminal, secrets, transports));
        CommandLine cmd = commandLine(root);
        cmd.setOut(new Redacting(out, secrets));
        cmd.setErr(new Redacting(err, secrets));
        return cmd.execute(args);
    }

    static CommandLine commandLine(Courier root) {
        CommandLine cmd = new CommandLine(root);
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            PrintWriter err = c.getErr();
            if (e instanceof CliException ce) {
                err.println("courier: " + ce.getMessage());
                return ce.exitCode();
            }
            err.println("courier: " + e.getClass().getSimpleName() + ": " + Target.describe(e));
            return ExitCodes.FAILED;
        });
        cmd.setParameterExceptionHandler((e, args) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("courier: " + e.getMessage());
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more.");
            return ExitCodes.USAGE;
        });
        return cmd;
    }

    /** The version from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Courier.class.getPackage().getImplementationVersion();
            return new String[] {"courier " + (v == null ? "(development build)" : v)};
        }
    }
}
