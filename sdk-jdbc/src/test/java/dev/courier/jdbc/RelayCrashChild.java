package dev.courier.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.MessageBus;
import dev.courier.amqp.AmqpConfig;
import dev.courier.amqp.AmqpTransport;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.spi.Address;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;

import java.sql.Connection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process {@link AmqpOutboxCrashTest} kills inside the relay: it commits three outbox rows,
 * starts a relay on RabbitMQ, and halts the JVM the moment the broker has confirmed the third
 * publish, before the relay can mark the rows sent. Environment: COURIER_CHILD_URL (JDBC),
 * COURIER_CHILD_AMQP (broker URI); arguments: outbox table, AMQP namespace.
 */
public final class RelayCrashChild {
    static final int HALTED = 42;

    private RelayCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        String table = args[0];
        String namespace = args[1];
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(System.getenv("COURIER_CHILD_URL"));
        config.setMaximumPoolSize(3);
        HikariDataSource ds = new HikariDataSource(config);
        Transport amqp = AmqpTransport.of(AmqpConfig.builder().uri(System.getenv("COURIER_CHILD_AMQP")).namespace(namespace).build());
        MessageBus bus = MessageBus.builder("ordering").transport(new HaltAfter(amqp, 3)).produces(OrderPlaced.class).build();
        JdbcOutbox outbox = JdbcOutbox.builder(ds, bus).table(table).build();
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (int seq = 0; seq < 3; seq++) {
                outbox.publish(c, new OrderPlaced("crash", seq), "crash");
            }
            c.commit();
        }
        bus.start();
        outbox.relay().pollInterval(java.time.Duration.ofMillis(50)).start();
        new CountDownLatch(1).await(); // halted by HaltAfter
    }

    /** Halts the JVM inside the confirm of the n-th publish, before anyone sees the confirm. */
    private record HaltAfter(Transport delegate, int n, AtomicInteger confirmed) implements Transport {
        HaltAfter(Transport delegate, int n) {
            this(delegate, n, new AtomicInteger());
        }

        @Override
        public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
            return delegate.publish(to, headers, body).thenApply(x -> {
                if (confirmed.incrementAndGet() == n) {
                    Runtime.getRuntime().halt(HALTED);
                }
                return x;
            });
        }

        @Override
        public void start(TransportContext context) {
            delegate.start(context);
        }

        @Override
        public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
            return delegate.subscribe(address, group, prefetch, callback);
        }

        @Override
        public <T> java.util.Optional<T> ability(Class<T> type) {
            return delegate.ability(type);
        }

        @Override
        public boolean isConnected() {
            return delegate.isConnected();
        }

        @Override
        public Set<Capability> capabilities() {
            return delegate.capabilities();
        }

        @Override
        public String describe() {
            return delegate.describe();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
