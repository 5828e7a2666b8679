package dev.courier.bench;

import java.util.List;
import java.util.Map;

/**
 * One benchmark scenario of the courier-bench jar. Scenarios are found with ServiceLoader
 * (META-INF/services/dev.courier.bench.Scenario) and run by name: {@code java -jar courier-bench.jar amqp-throughput}.
 */
public interface Scenario {

    /** The scenario name, e.g. {@code memory-throughput}. */
    String name();

    /** One line on what it measures and what it compares against. */
    String description();

    /**
     * Runs the scenario and returns one result row per line to print (JSON object fields, in order).
     * Required fields: scenario, transport, messages, payload_bytes, sdk_msgs_per_s, baseline_msgs_per_s,
     * ratio, sdk_p50_us, sdk_p99_us, lost, duplicates_handled.
     *
     * @param options {@code --key value} pairs from the command line, e.g. {@code messages -> 100000}
     */
    List<Map<String, Object>> run(Options options) throws Exception;
}
