package dev.courier.cli;

import dev.courier.MessageBus;
import picocli.CommandLine.Command;

/** {@code courier dlq discard}. */
@Command(name = "discard",
        headerHeading = "%nNAME%n  courier dlq discard - ",
        header = "remove dead letters for good",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "Removes the selected dead letters without handling them. This cannot be undone: it always asks"
                        + " for confirmation on the terminal unless --yes is given, and is refused (exit 2) when there"
                        + " is no terminal. Check the selection with --dry-run (or show) first.",
                "",
                "One line per selected id says what happened: discarded, FAILED (with the reason), not found, or"
                        + " not tried. Running the same command again is safe."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_FAILED, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION,
                ExitCodes.H_NOT_FOUND, ExitCodes.H_DECLINED},
        footerHeading = "%nEXAMPLES%n",
        footer = {"  courier dlq discard amqp://rabbit/ -s billing 6f1c2a9e-0d4b-4c1e-9a53-2f0e8c7d1b44",
                "  courier dlq discard amqp://rabbit/ -s billing --type v1.test.ping --yes"},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        sortOptions = false)
final class DiscardCommand extends ActionCommand {
    @Override
    String verb() {
        return "discard";
    }

    @Override
    String done() {
        return "discarded";
    }

    @Override
    boolean alwaysConfirm() {
        return true;
    }

    @Override
    Item act(MessageBus bus, Item item) {
        try {
            return bus.deadLetters().discard(item.id()) ? item.with(Outcome.DONE, null) : item.with(Outcome.NOT_FOUND, null);
        } catch (RuntimeException e) {
            return item.with(Outcome.FAILED, Target.describe(e));
        }
    }
}
