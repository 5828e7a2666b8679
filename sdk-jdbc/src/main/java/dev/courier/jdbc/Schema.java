package dev.courier.jdbc;

import dev.courier.CourierException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The documented SQL scripts in {@code dev/courier/jdbc/*.sql}, with the default table name
 * replaced. The scripts are idempotent ({@code IF NOT EXISTS}), so creating twice is harmless.
 * Internal.
 */
final class Schema {
    private Schema() {
    }

    /** The statements of {@code <kind>-<dialect>.sql} for {@code table} (kind: inbox or outbox). */
    static List<String> statements(String kind, Dialect dialect, String table) {
        String resource = kind + "-" + dialect.name() + ".sql";
        String script;
        try (InputStream in = Schema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CourierException("sdk-jdbc is missing its script " + resource);
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CourierException("could not read " + resource, e);
        }
        String defaultName = "courier_" + kind;
        String simple = table.substring(table.indexOf('.') + 1);
        // index names are never schema-qualified: courier_inbox_updated -> <table>_updated
        script = script.replace(defaultName + "_", "\u0000" + "_").replace(defaultName, table).replace("\u0000", simple);
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String sql = current.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        return out;
    }

    static void create(Connection c, String kind, Dialect dialect, String table) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : statements(kind, dialect, table)) {
                st.execute(sql);
            }
        }
    }
}
