package dev.courier.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code courier dlq}: the dead-letter commands. */
@Command(name = "dlq",
        headerHeading = "%nNAME%n  courier dlq - ",
        header = "list, show, replay and discard a service's dead letters",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "A dead letter is a message its service could not handle: Courier kept the original bytes and"
                        + " headers with why it failed (error type and message, stack trace, attempts, first and last"
                        + " failure). These commands read them through the service's own transport. Typical use:",
                "",
                "  courier dlq list  <uri> --service billing",
                "  courier dlq show  <uri> --service billing <id>",
                "  courier dlq replay <uri> --service billing --error PaymentDeclined --dry-run",
                "  courier dlq replay <uri> --service billing --error PaymentDeclined --yes",
                "",
                "Credentials: from the URI, --user with $COURIER_PASSWORD, $COURIER_USERNAME and $COURIER_PASSWORD,"
                        + " or a prompt that does not echo; a WebSocket hub's bearer token from $COURIER_TOKEN or the"
                        + " URI's token= parameter. Secrets are never printed or logged."},
        commandListHeading = "%nCOMMANDS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_FAILED, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION,
                ExitCodes.H_NOT_FOUND, ExitCodes.H_DECLINED},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        subcommands = {ListCommand.class, ShowCommand.class, ReplayCommand.class, DiscardCommand.class})
final class DlqCommand implements Runnable {
    @ParentCommand
    Courier root;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
