package dev.courier.jdbc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds one connection that LISTENs on the outbox's channel and wakes the relay when a NOTIFY
 * arrives (at the commit of a transaction that wrote to the outbox). Uses the PostgreSQL driver's
 * {@code PGConnection.getNotifications(int)} by reflection, so sdk-jdbc needs no driver; with
 * another driver, or while the connection is down, the relay just polls. Internal.
 */
final class PgWaker {
    private static final Logger log = LoggerFactory.getLogger(PgWaker.class);

    private final DataSource dataSource;
    private final String channel;
    private final Runnable wake;
    private final RelayBackoff retry;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    PgWaker(DataSource dataSource, String channel, Runnable wake, RelayBackoff retry) {
        this.dataSource = dataSource;
        this.channel = channel;
        this.wake = wake;
        this.retry = retry;
        this.thread = new Thread(this::loop, "courier-outbox-listen-" + channel);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void close() {
        running = false;
        stopped.countDown();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        int failures = 0; // LISTEN connections lost or refused in a row
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                if (!c.getAutoCommit()) {
                    c.setAutoCommit(true);
                }
                Class<?> pg = Class.forName("org.postgresql.PGConnection", false, c.getClass().getClassLoader());
                Object raw = c.unwrap(pg);
                Method poll = pg.getMethod("getNotifications", int.class);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + channel);
                }
                wake.run(); // rows may have been committed while we were not listening
                failures = 0;
                while (running) {
                    Object notes = poll.invoke(raw, 500);
                    if (notes != null && Array.getLength(notes) > 0) {
                        wake.run();
                    }
                }
            } catch (ClassNotFoundException | NoSuchMethodException e) {
                log.info("outbox channel {}: the PostgreSQL driver (org.postgresql) has no PGConnection here;"
                        + " the relay polls instead of listening", channel);
                return;
            } catch (Exception e) {
                if (running && failures == 0) {
                    log.warn("outbox channel {}: LISTEN failed, the relay polls meanwhile: {}", channel, e.toString());
                }
                failures++;
            }
            try {
                stopped.await(retry.delayMillis(Math.max(1, failures)), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
