package dev.courier.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** {@code courier dlq list}. */
@Command(name = "list",
        headerHeading = "%nNAME%n  courier dlq list - ",
        header = "list a service's dead letters, oldest first",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "One row per dead letter: its id, message type, first and last failure (UTC), handler attempts,"
                        + " the last error (type: message) and the correlation id. Nothing is changed: the dead"
                        + " letters stay where they are. With --json, one JSON object per line (full values) for"
                        + " jq and scripts."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION},
        footerHeading = "%nEXAMPLES%n",
        footer = {"  courier dlq list amqp://rabbit/ --service billing --since 2h",
                "  courier dlq list mqtt://broker -s billing -t v1.invoice.create --json | jq -r .id"},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        sortOptions = false)
final class ListCommand extends DlqBase {
    @Mixin
    Filter filter;

    @Option(names = {"-n", "--limit"}, paramLabel = "<n>", defaultValue = "100",
            description = "Show at most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Override
    void check() {
        if (limit < 1) {
            throw new CliException(ExitCodes.USAGE, "--limit must be at least 1, was " + limit);
        }
    }

    @Override
    int run(MessageBus bus) {
        List<DeadLetter> all = read(bus);
        List<DeadLetter> shown = new ArrayList<>();
        int matching = 0;
        for (DeadLetter d : all) {
            if (filter.matches(d)) {
                matching++;
                if (shown.size() < limit) {
                    shown.add(d);
                }
            }
        }
        if (json) {
            for (DeadLetter d : shown) {
                try {
                    out().println(Render.JSON.writeValueAsString(Render.summary(d)));
                } catch (JsonProcessingException e) {
                    throw new dev.courier.CourierException("cannot write the dead letter as JSON: " + e.getMessage(), e);
                }
            }
        } else if (shown.isEmpty()) {
            out().println("No dead letters" + filter.describe() + " for service '" + target.service + "'"
                    + (all.isEmpty() ? "." : " (" + all.size() + " others)."));
        } else {
            List<List<String>> rows = new ArrayList<>();
            for (DeadLetter d : shown) {
                rows.add(List.of(nz(d.messageId()), nz(d.messageType()), Letters.shortTime(Letters.firstFailure(d)),
                        Letters.shortTime(Letters.lastFailure(d)), Integer.toString(d.attempts()),
                        nz(Letters.correlationId(d)),
                        Letters.simpleErrorType(d) + ": " + Render.cut(d.errorMessage(), 60)));
            }
            Render.table(List.of("ID", "TYPE", "FIRST FAILURE", "LAST FAILURE", "ATTEMPTS", "CORRELATION ID", "ERROR"), rows)
                    .forEach(out()::println);
            out().println(shown.size() < matching
                    ? "Showing " + shown.size() + " of " + matching + " (--limit)."
                    : matching + " dead letter" + (matching == 1 ? "" : "s") + filter.describe() + " for service '"
                    + target.service + "'.");
        }
        return ExitCodes.OK;
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }
}
