package dev.courier.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replay and discard: select dead letters (ids, --all, or filters), show them on --dry-run, ask
 * before a bulk action, act on each in order and say exactly what happened to every id. Each dead
 * letter is removed only after its action succeeded, so running the same command again is safe:
 * what went is no longer selected, and only the rest is tried again.
 */
abstract class ActionCommand extends DlqBase {
    /** What happened to one selected id. */
    enum Outcome { DONE, FAILED, NOT_FOUND, NOT_ATTEMPTED }

    record Item(String id, DeadLetter letter, Outcome outcome, String reason) {
        Item with(Outcome o, String why) {
            return new Item(id, letter, o, why);
        }
    }

    @Parameters(index = "1..*", paramLabel = "<id>", arity = "0..*",
            description = "The ids of the dead letters (from list). Or select with --all, --type, --error, --since.")
    List<String> ids = new ArrayList<>();

    @Option(names = "--all", description = "Every dead letter of the service.")
    boolean all;

    @Mixin
    Filter filter;

    @Option(names = "--dry-run", description = "Show what would be selected and do nothing.")
    boolean dryRun;

    @Option(names = {"-y", "--yes"}, description = "Do not ask for confirmation (scripts). Without it, a bulk action"
            + " asks on the terminal, and refuses (exit 2) when there is none.")
    boolean yes;

    @Option(names = "--json", description = "One JSON object per selected id ({\"id\",\"type\",\"outcome\",\"error\"}) instead of text.")
    boolean json;

    /** "replay" or "discard". */
    abstract String verb();

    /** "replayed" or "discarded". */
    abstract String done();

    /** True when this action asks even for ids named one by one. */
    abstract boolean alwaysConfirm();

    /** Does it to one dead letter: DONE, FAILED (with the reason) or NOT_FOUND. */
    abstract Item act(MessageBus bus, Item item);

    @Override
    void check() {
        boolean byFilter = all || filter.any();
        if (ids.isEmpty() && !byFilter) {
            throw new CliException(ExitCodes.USAGE, "say which dead letters to " + verb() + ": <id>..., --all, --type, --error"
                    + " or --since");
        }
        if (!ids.isEmpty() && byFilter) {
            throw new CliException(ExitCodes.USAGE, "give either ids or --all/--type/--error/--since, not both");
        }
        if (all && filter.any()) {
            throw new CliException(ExitCodes.USAGE, "--all selects everything: leave out --type, --error and --since,"
                    + " or leave out --all");
        }
    }

    @Override
    int run(MessageBus bus) {
        boolean byFilter = all || filter.any();
        List<DeadLetter> letters = read(bus);
        List<Item> items = select(letters, byFilter);
        long found = items.stream().filter(i -> i.letter() != null).count();
        if (items.isEmpty()) {
            summaryLine("Nothing to " + verb() + ": no dead letters" + filter.describe() + " for service '" + target.service
                    + "'.");
            return ExitCodes.OK;
        }
        if (dryRun) {
            for (Item i : items) {
                report(i.letter() == null ? i.with(Outcome.NOT_FOUND, null) : i, "would " + verb());
            }
            summaryLine("Dry run: would " + verb() + " " + plural(found) + " of service '" + target.service + "'"
                    + typesOf(items) + "; nothing was done.");
            return found < items.size() ? ExitCodes.NOT_FOUND : ExitCodes.OK;
        }
        if (found > 0 && !yes && (byFilter || alwaysConfirm())) {
            confirm(found, items);
        }
        List<Item> results = new ArrayList<>();
        Progress progress = new Progress(err(), context().terminal().interactive() && !json, items.size(), verb());
        boolean stopped = false;
        for (Item i : items) {
            Item r;
            if (stopped) {
                r = i.with(Outcome.NOT_ATTEMPTED, "not tried: the connection to the broker was lost");
            } else if (i.letter() == null) {
                r = i.with(Outcome.NOT_FOUND, null);
            } else if (i.id() == null) {
                r = i.with(Outcome.FAILED, "the dead letter has no id, so it cannot be picked out");
            } else {
                r = act(bus, i);
                if (r.outcome() == Outcome.FAILED && !bus.health().transportConnected()) {
                    stopped = true;
                }
            }
            results.add(r);
            progress.clear();
            report(r, null);
            progress.step();
        }
        progress.done();
        return summarize(results);
    }

    private List<Item> select(List<DeadLetter> letters, boolean byFilter) {
        List<Item> items = new ArrayList<>();
        if (byFilter) {
            for (DeadLetter d : letters) {
                if (all || filter.matches(d)) {
                    items.add(new Item(d.messageId(), d, null, null));
                }
            }
            return items;
        }
        for (String id : new LinkedHashSet<>(ids)) {
            DeadLetter match = null;
            for (DeadLetter d : letters) {
                if (id.equals(d.messageId())) {
                    match = d;
                    break;
                }
            }
            items.add(new Item(id, match, null, null));
        }
        return items;
    }

    private void confirm(long found, List<Item> items) {
        String question = capitalized(verb()) + " " + plural(found) + " of service '" + target.service + "'" + typesOf(items)
                + (alwaysConfirm() ? " for good" : "") + "? [y/N] ";
        Terminal t = context().terminal();
        if (!t.interactive()) {
            throw new CliException(ExitCodes.USAGE, "refusing to " + verb() + " " + plural(found) + " without confirmation:"
                    + " there is no terminal to ask on. Check the selection with --dry-run, then add --yes.");
        }
        String answer = t.readLine(question);
        if (answer == null || !(answer.trim().equalsIgnoreCase("y") || answer.trim().equalsIgnoreCase("yes"))) {
            throw new CliException(ExitCodes.DECLINED, "not confirmed: nothing was " + done() + ".");
        }
    }

    private void report(Item i, String dry) {
        String type = i.letter() == null ? null : i.letter().messageType();
        if (json) {
            ObjectNode n = Render.JSON.createObjectNode();
            n.put("id", i.id());
            n.put("type", type);
            n.put("outcome", dry != null && i.outcome() == null ? "would-" + verb() : outcomeName(i.outcome()));
            if (i.reason() != null) {
                n.put("error", i.reason());
            }
            out().println(n.toString());
            return;
        }
        String label;
        if (dry != null && i.outcome() == null) {
            label = dry;
        } else {
            label = switch (i.outcome()) {
                case DONE -> done();
                case FAILED -> "FAILED";
                case NOT_FOUND -> "not found";
                case NOT_ATTEMPTED -> "not tried";
            };
        }
        StringBuilder b = new StringBuilder(String.format("%-14s %s", label, i.id()));
        if (type != null) {
            b.append("  ").append(type);
        }
        if (i.outcome() == Outcome.FAILED || i.outcome() == Outcome.NOT_ATTEMPTED) {
            b.append("  (").append(i.reason()).append(')');
        } else if (i.outcome() == Outcome.NOT_FOUND) {
            b.append("  (not a dead letter of service '").append(target.service).append("': already replayed or discarded?)");
        }
        out().println(b);
    }

    private String outcomeName(Outcome o) {
        return switch (o) {
            case DONE -> done();
            case FAILED -> "failed";
            case NOT_FOUND -> "not-found";
            case NOT_ATTEMPTED -> "not-attempted";
        };
    }

    private int summarize(List<Item> results) {
        Map<Outcome, Long> n = new TreeMap<>();
        for (Item r : results) {
            n.merge(r.outcome(), 1L, Long::sum);
        }
        long ok = n.getOrDefault(Outcome.DONE, 0L);
        long failed = n.getOrDefault(Outcome.FAILED, 0L);
        long missing = n.getOrDefault(Outcome.NOT_FOUND, 0L);
        long untried = n.getOrDefault(Outcome.NOT_ATTEMPTED, 0L);
        StringBuilder b = new StringBuilder(capitalized(done()) + " " + ok + " of " + results.size() + " dead letter"
                + (results.size() == 1 ? "" : "s") + " of service '" + target.service + "'");
        List<String> rest = new ArrayList<>();
        if (failed > 0) {
            rest.add(failed + " failed");
        }
        if (untried > 0) {
            rest.add(untried + " not tried");
        }
        if (missing > 0) {
            rest.add(missing + " not found");
        }
        b.append(rest.isEmpty() ? "." : "; " + String.join(", ", rest) + ".");
        if (failed + untried > 0) {
            b.append(" Running the same command again is safe: what was ").append(done())
                    .append(" is no longer a dead letter, so only the rest is tried.");
        }
        summaryLine(b.toString());
        if (failed + untried > 0) {
            return ExitCodes.FAILED;
        }
        return missing > 0 ? ExitCodes.NOT_FOUND : ExitCodes.OK;
    }

    /** The summary: on stdout after the text lines, on stderr in --json mode (stdout stays JSON lines). */
    private void summaryLine(String s) {
        (json ? err() : out()).println(s);
    }

    private static String typesOf(List<Item> items) {
        Map<String, Integer> byType = new TreeMap<>();
        for (Item i : items) {
            if (i.letter() != null) {
                byType.merge(String.valueOf(i.letter().messageType()), 1, Integer::sum);
            }
        }
        if (byType.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        byType.forEach((t, c) -> parts.add(t + " ×" + c));
        return " (" + String.join(", ", parts) + ")";
    }

    static String plural(long n) {
        return n + " dead letter" + (n == 1 ? "" : "s");
    }

    private static String capitalized(String s) {
        return s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }
}
