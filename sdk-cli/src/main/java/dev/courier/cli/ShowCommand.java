package dev.courier.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import dev.courier.spi.Headers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Map;

/** {@code courier dlq show}. */
@Command(name = "show",
        headerHeading = "%nNAME%n  courier dlq show - ",
        header = "everything about one dead letter",
        synopsisHeading = "%nSYNOPSIS%n  ",
        descriptionHeading = "%nDESCRIPTION%n",
        description = {
                "The diagnostics (error, attempts, first and last failure, where it came from), every header,"
                        + " the stack trace and the payload, pretty-printed when it is JSON. Nothing is changed."},
        parameterListHeading = "%nARGUMENTS%n",
        optionListHeading = "%nOPTIONS%n",
        exitCodeListHeading = "%nEXIT CODES%n",
        exitCodeList = {ExitCodes.H_OK, ExitCodes.H_USAGE, ExitCodes.H_CONNECTION, ExitCodes.H_NOT_FOUND},
        footerHeading = "%nEXAMPLES%n",
        footer = {"  courier dlq show amqp://rabbit/ -s billing 6f1c2a9e-0d4b-4c1e-9a53-2f0e8c7d1b44"},
        mixinStandardHelpOptions = true,
        versionProvider = Courier.Version.class,
        usageHelpAutoWidth = true,
        sortOptions = false)
final class ShowCommand extends DlqBase {
    @Parameters(index = "1", paramLabel = "<id>", description = "The dead letter's message id (from list).")
    String id;

    @Option(names = "--json", description = "One JSON object with every field, header and the payload.")
    boolean json;

    @Override
    int run(MessageBus bus) {
        DeadLetter d = null;
        for (DeadLetter each : read(bus)) {
            if (id.equals(each.messageId())) {
                d = each;
                break;
            }
        }
        if (d == null) {
            throw new CliException(ExitCodes.NOT_FOUND, "no dead letter with id " + id + " in service '" + target.service
                    + "' (already replayed or discarded?)");
        }
        PrintWriter o = out();
        if (json) {
            try {
                o.println(Render.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(Render.detail(d)));
            } catch (JsonProcessingException e) {
                throw new dev.courier.CourierException("cannot write the dead letter as JSON: " + e.getMessage(), e);
            }
            return ExitCodes.OK;
        }
        Map<String, String> h = d.headers();
        o.println("Dead letter " + d.messageId() + " of service '" + target.service + "'");
        row(o, "type", d.messageType());
        row(o, "came from", d.address());
        row(o, "error", d.errorType());
        row(o, "message", d.errorMessage());
        row(o, "attempts", Integer.toString(d.attempts()));
        row(o, "first failure", Letters.firstFailure(d));
        row(o, "last failure", Letters.lastFailure(d));
        row(o, "correlation id", Letters.correlationId(d));
        row(o, "causation id", h.get(Headers.CAUSATION_ID));
        row(o, "sent by", h.get(Headers.SOURCE));
        row(o, "sent at", h.get(Headers.TIME));
        if (h.containsKey(Headers.DL_TRUNCATED)) {
            row(o, "shortened", h.get(Headers.DL_TRUNCATED));
        }
        o.println();
        o.println("Headers:");
        Render.otherHeaders(d).forEach((k, v) -> o.println("  " + k + ": " + Render.cut(v, 200)));
        o.println();
        o.println("Stack trace:");
        String st = h.get(Headers.DL_STACK_TRACE);
        if (st == null) {
            o.println("  (none kept)");
        } else {
            st.lines().forEach(l -> o.println("  " + l));
        }
        o.println();
        o.println("Payload (" + d.body().length + " bytes, " + h.getOrDefault(Headers.DATACONTENTTYPE, "no content type") + "):");
        Render.payload(d.body()).forEach(l -> o.println("  " + l));
        return ExitCodes.OK;
    }

    private static void row(PrintWriter o, String name, String value) {
        o.println(String.format("  %-15s %s", name, value == null ? "-" : value));
    }
}
