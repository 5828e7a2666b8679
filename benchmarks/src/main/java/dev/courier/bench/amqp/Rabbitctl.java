package dev.courier.bench.amqp;

import dev.courier.bench.Options;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What the broker holds under a run's prefix, read with {@code rabbitmqctl} (the management-free
 * side: no plugin needed), and clean-up of every queue and exchange under that prefix.
 * {@code --rabbitmqctl none} (or no rabbitmqctl on the PATH) leaves the counts null and cleans up
 * only the names the caller knows.
 */
final class Rabbitctl {
    private Rabbitctl() {
    }

    /** What was found: queue names, exchange names, and bindings from a named exchange (source, destination, key). */
    record Listing(List<String> queues, List<String> exchanges, List<String[]> bindings) {
    }

    static String command(Options o) {
        return o.get("rabbitmqctl", "rabbitmqctl");
    }

    /** @return what the broker holds whose name starts with {@code prefix}, or null when rabbitmqctl cannot be run */
    static Listing list(Options o, String prefix) {
        if (command(o).equals("none")) {
            return null;
        }
        try {
            List<String> queues = new ArrayList<>();
            for (String line : run(o, "list_queues", "name")) {
                if (line.startsWith(prefix)) {
                    queues.add(line.trim());
                }
            }
            List<String> exchanges = new ArrayList<>();
            for (String line : run(o, "list_exchanges", "name")) {
                if (line.startsWith(prefix)) {
                    exchanges.add(line.trim());
                }
            }
            List<String[]> bindings = new ArrayList<>();
            for (String line : run(o, "list_bindings", "source_name", "destination_name", "routing_key")) {
                String[] f = line.split("\t", -1);
                // the default exchange's implicit binding of every queue has an empty source: not counted
                if (f.length >= 3 && !f[0].isEmpty() && (f[0].startsWith(prefix) || f[1].startsWith(prefix))) {
                    bindings.add(f);
                }
            }
            return new Listing(queues, exchanges, bindings);
        } catch (Exception e) {
            System.err.println("rabbitmqctl unavailable (" + e.getMessage() + "): counts left empty");
            return null;
        }
    }

    private static List<String> run(Options o, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(command(o), "-q"));
        cmd.addAll(List.of(args));
        cmd.add("--no-table-headers");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroy();
            throw new IllegalStateException("rabbitmqctl " + args[0] + " failed");
        }
        return lines;
    }

    /**
     * Deletes the {@code known} names and everything rabbitmqctl lists under {@code prefix}.
     *
     * @return how many names were left under the prefix afterwards, or -1 when that cannot be read
     */
    static int cleanUp(Options o, String prefix, List<String> known) {
        Set<String> names = new LinkedHashSet<>(known);
        Listing l = list(o, prefix);
        if (l != null) {
            names.addAll(l.queues());
            names.addAll(l.exchanges());
        }
        AmqpBench.delete(o, new ArrayList<>(names));
        Listing after = list(o, prefix);
        return after == null ? -1 : after.queues().size() + after.exchanges().size();
    }
}
