package dev.courier.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The courier-bench jar: {@code java -jar benchmarks/target/courier-bench.jar <scenario|all|list> [--messages N] ...}.
 * Prints one JSON object per line per result; Courier and the raw baseline always run in the same process.
 * {@code jmh [JMH args]} runs the JMH micro-benchmarks instead; {@code chart [files]} draws SVG charts of such lines ({@link Chart});
 * {@code flame recording.jfr} draws a flame graph of a JFR recording ({@link Flame}).
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            String[] rest = new String[args.length - 1];
            System.arraycopy(args, 1, rest, 0, rest.length);
            org.openjdk.jmh.Main.main(rest);
            return;
        }
        if (args.length > 0 && args[0].equals("chart")) {
            Chart.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("flame")) {
            Flame.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        List<Scenario> scenarios = new ArrayList<>();
        java.util.Iterator<Scenario> it = ServiceLoader.load(Scenario.class).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                scenarios.add(it.next());
            } catch (java.util.ServiceConfigurationError e) {
                System.err.println("skipping a scenario that cannot load: " + e.getMessage());
            }
        }
        if (args.length == 0 || args[0].equals("list") || args[0].equals("--help")) {
            System.err.println("usage: java -jar courier-bench.jar <scenario|list> [--messages N] [--option value ...]");
            System.err.println("       java -jar courier-bench.jar jmh [JMH options]");
            System.err.println("       java -jar courier-bench.jar chart [--out DIR] [--goal R] [--step F] [--metric F] [files]");
            System.err.println("       java -jar courier-bench.jar flame [--thread REGEX] [--event jdk.ExecutionSample|jdk.ObjectAllocationSample]"
                    + " [--include REGEX] [--title T] [--top N] [--out FILE.svg] recording.jfr");
            for (Scenario s : scenarios) {
                System.err.printf("  %-22s %s%n", s.name(), s.description());
            }
            return;
        }
        Options options = Options.parse(args, 1);
        boolean found = false;
        for (Scenario s : scenarios) {
            if (s.name().equals(args[0])) {
                found = true;
                for (Map<String, Object> row : s.run(options)) {
                    System.out.println(Json.line(row));
                }
            }
        }
        if (!found) {
            System.err.println("unknown scenario '" + args[0] + "'; try: list");
            System.exit(2);
        }
        System.exit(0);
    }
}
