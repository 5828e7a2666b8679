package dev.courier.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.CountDownLatch;

/**
 * The process {@link OutboxCrashTest} kills. It writes a business row and outbox rows in one
 * transaction, then, by its mode, commits, rolls back or stays inside the transaction, prints a
 * marker line and waits to be killed. It never runs a relay. The database URL comes in the
 * environment (COURIER_CHILD_URL), the rest as arguments: mode, outbox table, business table, key.
 */
public final class CrashChild {
    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String outboxTable = args[1];
        String biz = args[2];
        String key = args[3];
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(System.getenv("COURIER_CHILD_URL"));
        config.setMaximumPoolSize(2);
        try (HikariDataSource ds = new HikariDataSource(config);
             MessageBus bus = MessageBus.builder("ordering").transport("memory:child").produces(OrderPlaced.class).build()) {
            JdbcOutbox outbox = JdbcOutbox.builder(ds, bus).table(outboxTable).build();
            Connection c = ds.getConnection();
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)")) {
                for (int seq = 0; seq < 3; seq++) {
                    String id = outbox.publish(c, new OrderPlaced(key, seq), key);
                    ps.setString(1, id);
                    ps.setInt(2, seq);
                    ps.executeUpdate();
                }
            }
            switch (mode) {
                case "commit" -> c.commit();
                case "rollback" -> c.rollback();
                case "in-transaction" -> { }
                default -> throw new IllegalArgumentException(mode);
            }
            System.out.println("READY " + mode);
            System.out.flush();
            new CountDownLatch(1).await(); // killed here
        }
    }
}
