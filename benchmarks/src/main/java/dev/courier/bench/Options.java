package dev.courier.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Command-line options of the benchmark jar: {@code --name value} pairs. */
public final class Options {
    private final Map<String, String> values;

    public Options(Map<String, String> values) {
        this.values = new HashMap<>(values);
    }

    public static Options parse(String[] args, int from) {
        Map<String, String> m = new HashMap<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got '" + a + "'");
            }
            String key = a.substring(2);
            String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
            m.put(key, value);
        }
        return new Options(m);
    }

    public String get(String key, String def) {
        return values.getOrDefault(key, def);
    }

    public long getLong(String key, long def) {
        String v = values.get(key);
        return v == null ? def : Long.parseLong(v.replace("_", ""));
    }

    public int getInt(String key, int def) {
        return (int) getLong(key, def);
    }

    public Duration getDuration(String key, Duration def) {
        String v = values.get(key);
        return v == null ? def : Duration.parse(v.startsWith("P") ? v : "PT" + v.toUpperCase());
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /**
     * A copy with {@code key} set to {@code value}.
     *
     * @param key   the option name without dashes
     * @param value its value
     * @return the new options
     */
    public Options with(String key, String value) {
        Map<String, String> m = new HashMap<>(values);
        m.put(key, value);
        return new Options(m);
    }
}
