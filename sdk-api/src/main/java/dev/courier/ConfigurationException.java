package dev.courier;

import java.util.List;

/** A bus or transport configuration is invalid; the message lists every problem, naming the setting. */
public class ConfigurationException extends CourierException {
    private final List<String> problems;

    public ConfigurationException(List<String> problems) {
        super("Invalid Courier configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigurationException(String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
