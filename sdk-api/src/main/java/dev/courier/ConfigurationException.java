package dev.courier;

import java.util.List;

/** A bus or transport configuration is invalid; the message lists every problem, naming the setting. */
public class ConfigurationException extends CourierException {
    /** Every problem found, each naming its setting. */
    private final List<String> problems;

    /** @param problems every problem found, each naming its setting */
    public ConfigurationException(List<String> problems) {
        super("Invalid Courier configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    /** @param problem the one problem found, naming its setting */
    public ConfigurationException(String problem) {
        this(List.of(problem));
    }

    /** @return every problem found, each naming its setting, in the order found */
    public List<String> problems() {
        return problems;
    }
}
