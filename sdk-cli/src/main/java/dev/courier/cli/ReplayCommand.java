package dev.courier.cli;

import dev.courier.MessageBus;
import picocli.CommandLine.Command;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@code courier dlq replay}. */
@Command(name = "replay",
        headerHeading = "%nNAME%n  courier dlq replay - ",
        header = "send dead letters back to their service's handler",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "Each selected dead letter goes back to the one service it failed in (never through an event's"
                        + " fan-out to other services), with its original id, headers and payload; once the broker has"
                        + " confirmed it, it is removed from the dead letters. The handler then runs again as for any"
                        + " delivery, with its retries, and a failure dead-letters it again.",
                "",
                "One line per selected id says what happened: replayed, FAILED (with the reason), not found, or"
                        + " not tried (the connection was lost before its turn). Running the same command again is"
                        + " safe: what was replayed is no longer a dead letter, so only the rest is tried.",
                "",
                "A selection by --all, --type, --error or --since asks for confirmation on the terminal unless"
                        + " --yes is given, and is refused (exit 2) when there is no terminal. Progress goes to stderr."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_FAILED, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION,
                ExitCodes.H_NOT_FOUND, ExitCodes.H_DECLINED},
        footerHeading = "%nEXAMPLES%n",
        footer = {"  courier dlq replay amqp://rabbit/ -s billing 6f1c2a9e-0d4b-4c1e-9a53-2f0e8c7d1b44",
                "  courier dlq replay amqp://rabbit/ -s billing --error PaymentDeclined --dry-run",
                "  courier dlq replay mqtt://broker -s billing --type v1.invoice.create --yes"},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        sortOptions = false)
final class ReplayCommand extends ActionCommand {
    @Override
    String verb() {
        return "replay";
    }

    @Override
    String done() {
        return "replayed";
    }

    @Override
    boolean alwaysConfirm() {
        return false;
    }

    @Override
    Item act(MessageBus bus, Item item) {
        try {
            bus.deadLetters().replay(item.id()).get(target.timeout.toMillis(), TimeUnit.MILLISECONDS);
            return item.with(Outcome.DONE, null);
        } catch (ExecutionException e) {
            String why = Target.describe(e.getCause() == null ? e : e.getCause());
            if (why.startsWith("no dead letter with id")) {
                return item.with(Outcome.NOT_FOUND, null); // taken by someone else since it was listed
            }
            return item.with(Outcome.FAILED, why);
        } catch (TimeoutException e) {
            return item.with(Outcome.FAILED, "no confirm within " + target.timeout + ": it may or may not have gone;"
                    + " list again to see");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return item.with(Outcome.FAILED, "interrupted");
        } catch (RuntimeException e) {
            return item.with(Outcome.FAILED, Target.describe(e));
        }
    }
}
