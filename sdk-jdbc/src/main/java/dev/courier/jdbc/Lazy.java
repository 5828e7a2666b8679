package dev.courier.jdbc;

import java.sql.SQLException;

/**
 * A value computed on first use (the dialect needs a connection, and a service should be able to
 * build its bus while the database is still starting). A failure is not remembered. Internal.
 */
final class Lazy<T> {
    interface Source<T> {
        T get() throws SQLException;
    }

    private final Source<T> source;
    private volatile T value;

    Lazy(Source<T> source) {
        this.source = source;
    }

    T get() {
        T v = value;
        if (v == null) {
            synchronized (this) {
                v = value;
                if (v == null) {
                    try {
                        v = source.get();
                    } catch (SQLException e) {
                        throw Jdbc.failure("could not reach the database to find its dialect", e);
                    }
                    value = v;
                }
            }
        }
        return v;
    }
}
