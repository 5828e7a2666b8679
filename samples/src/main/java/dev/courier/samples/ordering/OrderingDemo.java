package dev.courier.samples.ordering;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.asyncapi.AsyncApi;
import dev.courier.asyncapi.SystemContract;
import dev.courier.jdbc.JdbcInbox;
import dev.courier.jdbc.JdbcOutbox;
import dev.courier.jdbc.OutboxRelay;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.PlaceOrder;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The ordering demo: four services and a storefront talking only through messages.
 *
 * <pre>
 *   storefront --request v1.order.place--> ordering --reply (order id)--> storefront
 *   ordering --v1.order.placed--> payment (fails twice, then captures), shipping, notification
 *   payment --v1.payment.captured--> shipping --v1.order.shipped--> notification
 * </pre>
 *
 * One order goes through; one contains a discontinued item and ends in shipping's dead letter; the
 * storefront double-submits an order and the duplicate is skipped. Run it with a transport URI
 * (default {@code memory:}); it exits 0 when the whole story happened and 1 (saying what was
 * missing) when not. The verdict counts this run's conversations only: messages an earlier run
 * left in the broker's durable queues are handled too, but only counted.
 */
public final class OrderingDemo {

    /** Retries kept short so the demo finishes in seconds: 3 quick attempts, then one redelivery. */
    static final RetryPolicy DEMO_RETRIES = RetryPolicy.custom()
            .maxAttempts(3)
            .initialBackoff(Duration.ofMillis(100))
            .redeliveryDelays(Duration.ofMillis(500))
            .build();

    private final String uri;
    private final String jdbcUrl;
    private final PrintStream out;
    private final Trace trace;
    private final Observability observability = new Observability();
    private final String[] aliceTrace = new String[1];
    private final String run = UUID.randomUUID().toString().substring(0, 6);

    public OrderingDemo(String uri, PrintStream out) {
        this(uri, null, out);
    }

    /**
     * With {@code jdbcUrl} (any database sdk-jdbc supports: PostgreSQL or MariaDB), services use the
     * durable JDBC inbox and ordering uses the transactional outbox.
     */
    public OrderingDemo(String uri, String jdbcUrl, PrintStream out) {
        this.uri = uri;
        this.jdbcUrl = jdbcUrl;
        this.out = out;
        this.trace = new Trace(out);
    }

    /** {@code [transport URI] [--jdbc <JDBC URL>]}. */
    public static void main(String[] args) {
        String uri = "memory:";
        String jdbc = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--jdbc") && i + 1 < args.length) {
                jdbc = args[++i];
            } else if (!args[i].startsWith("--")) {
                uri = args[i];
            } else {
                System.err.println("usage: courier-demo.jar [transport URI] [--jdbc jdbc:postgresql://...|jdbc:mariadb://...]");
                System.exit(2);
            }
        }
        int code = new OrderingDemo(uri, jdbc, System.out).run();
        System.exit(code);
    }

    private MessageBus.Builder bus(String service) {
        return observability.wire(MessageBus.builder(service)
                .transport(uri)
                .retryPolicy(DEMO_RETRIES)
                .listener(trace.listenerFor(service)));
    }

    /** Runs the story; returns the process exit code. */
    public int run() {
        out.println("Courier ordering demo on " + uri.replaceAll("//[^@/]*@", "//***@"));
        List<MessageBus> buses = new ArrayList<>();
        OutboxRelay relay = null;
        JdbcParts db = null;
        try {
            Map<String, Function<MessageBus.Builder, MessageBus.Builder>> services = new LinkedHashMap<>();
            services.put("ordering", OrderingService::configure);
            services.put("payment", PaymentService::configure);
            services.put("shipping", ShippingService::configure);
            services.put("notification", NotificationService::configure);
            Map<String, MessageBus> byName = new LinkedHashMap<>();
            db = jdbcUrl == null ? null : JdbcParts.open(jdbcUrl);
            for (Map.Entry<String, Function<MessageBus.Builder, MessageBus.Builder>> s : services.entrySet()) {
                MessageBus b;
                if (db != null && s.getKey().equals("ordering")) {
                    JdbcOutbox[] outbox = new JdbcOutbox[1];
                    b = OrderingService.configureJdbc(bus("ordering"), db.inbox, () -> outbox[0]).build();
                    outbox[0] = JdbcOutbox.builder(db.dataSource, b).table("demo_outbox").build().createSchema();
                    relay = outbox[0].relay().pollInterval(Duration.ofMillis(50)).build();
                } else {
                    MessageBus.Builder builder = bus(s.getKey());
                    if (db != null) {
                        builder.deduplicationStore(db.inbox);
                    }
                    b = s.getValue().apply(builder).build();
                }
                buses.add(b);
                byName.put(s.getKey(), b.start());
            }
            if (relay != null) {
                relay.start();
                trace.note("jdbc", "services use the durable inbox; ordering writes v1.order.placed through the outbox");
            }
            // Every conversation of this run starts at the storefront: what it publishes names this run's correlation ids.
            MessageBus storefront = observability.wire(MessageBus.builder("storefront").transport(uri)
                    .listener(trace.starter()).produces(PlaceOrder.class)).build();
            buses.add(storefront);
            storefront.start();
            writeContracts(buses);

            // 1. A customer places an order: request/reply over messaging.
            trace.note("storefront", "alice places an order (request v1.order.place)");
            // ...inside a span of the storefront's own (as a web request would be): the request continues its trace
            OrderAccepted accepted = observability.inSpan("storefront checkout", () -> storefront.request(
                    new PlaceOrder("alice", List.of(new Line("BOOK-42", 2, new BigDecimal("12.50")))),
                    OrderAccepted.class, Duration.ofSeconds(15)).join(), aliceTrace);
            trace.note("storefront", "reply: " + accepted.orderId());

            // 2. Another customer double-clicks "place order": same idempotency key twice.
            String bob = "checkout-" + run;
            trace.note("storefront", "bob double-submits an order with idempotency key " + bob);
            PlaceOrder bobs = new PlaceOrder("bob", List.of(new Line("DISCONTINUED-LAMP", 1, new BigDecimal("80.00"))));
            storefront.send(bobs, Map.of("id", bob)).join();
            storefront.send(bobs, Map.of("id", bob)).join();

            waitForStory(bob, Duration.ofSeconds(60));

            // 3. Show shipping's dead letter of bob's order, then discard it so the broker stays clean.
            boolean listed = false;
            int othersDead = 0;
            MessageBus shipping = byName.get("shipping");
            for (DeadLetter dl : shipping.deadLetters().list(10_000)) {
                if (!bob.equals(dl.headers().get("correlationid"))) {
                    othersDead++; // not this run's: left for whoever made it
                    continue;
                }
                trace.note("shipping", "dead letter " + dl.messageType() + " " + dl.messageId() + " after "
                        + dl.attempts() + " attempts: " + dl.errorType() + ": " + dl.errorMessage());
                listed = true;
                shipping.deadLetters().discard(dl.messageId());
            }
            if (othersDead > 0) {
                trace.note("shipping", othersDead + " other dead letter(s), not from this run, left alone");
            }
            showObservability();
            return verdict(accepted.orderId(), bob, listed);
        } catch (RuntimeException e) {
            out.println("FAILED: the demo could not run: " + e);
            e.printStackTrace(out);
            return 1;
        } finally {
            if (relay != null) {
                relay.close(); // before the bus it publishes through
            }
            buses.forEach(MessageBus::close);
            if (db != null) {
                db.close();
            }
            observability.close();
        }
    }

    /** The metrics of this run's buses, and alice's order drawn as one trace. */
    private void showObservability() {
        out.println();
        out.println("metrics (courier-micrometer):");
        observability.printMetrics(out);
        Path svg = Path.of("target", "demo-trace.svg");
        try {
            int n = observability.draw(aliceTrace[0], "alice's order: storefront → ordering → payment, shipping, notification", svg);
            trace.note("traces", "alice's order is trace " + aliceTrace[0] + ": " + n + " spans over "
                    + observability.servicesIn(aliceTrace[0]) + ", drawn to " + svg.toAbsolutePath());
        } catch (IOException e) {
            trace.note("traces", "could not write " + svg + ": " + e);
        }
    }

    /** The JDBC side of the demo: a connection pool, one inbox shared by the services, the orders table. */
    private record JdbcParts(HikariDataSource dataSource, JdbcInbox inbox) implements AutoCloseable {
        static JdbcParts open(String url) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url); // the driver is chosen by the URL: jdbc:postgresql://... or jdbc:mariadb://...
            config.setMaximumPoolSize(8);
            config.setConnectionTimeout(10_000);
            HikariDataSource ds;
            try {
                ds = new HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new IllegalStateException("cannot connect to " + redact(url) + ": " + e.getMessage(), e);
            }
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS demo_orders (order_id VARCHAR(32) PRIMARY KEY,"
                        + " customer_id VARCHAR(64) NOT NULL, total NUMERIC(12,2) NOT NULL)");
            } catch (SQLException e) {
                ds.close();
                throw new IllegalStateException("cannot prepare the demo tables at " + redact(url) + ": " + e.getMessage(), e);
            }
            return new JdbcParts(ds, JdbcInbox.builder(ds).table("demo_inbox").build().createSchema());
        }

        private static String redact(String url) {
            return dev.courier.spi.support.TransportUri.redact(url);
        }

        @Override
        public void close() {
            inbox.close();
            dataSource.close();
        }
    }

    /** Writes each service's AsyncAPI document, and the merged system view, to {@code target/contracts}. */
    private void writeContracts(List<MessageBus> buses) {
        Path dir = Path.of("target", "contracts");
        try {
            Files.createDirectories(dir);
            List<JsonNode> docs = new ArrayList<>();
            for (MessageBus b : buses) {
                AsyncApi api = AsyncApi.of(b).version("1.0.0")
                        .description("Courier ordering demo: the " + b.service() + " service");
                if (b.service().equals("ordering") || b.service().equals("storefront")) {
                    api.replies(PlaceOrder.class, OrderAccepted.class); // v1.order.place is a request
                }
                Files.writeString(dir.resolve(b.service() + ".asyncapi.yaml"), api.toYaml());
                docs.add(api.document());
            }
            SystemContract system = SystemContract.of("ordering-demo", docs);
            Files.writeString(dir.resolve("system.asyncapi.yaml"), system.toYaml());
            trace.note("contracts", "AsyncAPI documents written to " + dir.toAbsolutePath());
            system.gaps().forEach(g -> trace.note("contracts", "gap: " + g));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Alice's conversation: the one this run started other than bob's (null until her request is confirmed). */
    private String alice(String bob) {
        Set<String> started = new HashSet<>(trace.conversations());
        started.remove(bob);
        return started.size() == 1 ? started.iterator().next() : null;
    }

    private void waitForStory(String bob, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline && !Story.missing(trace.steps(), alice(bob), bob).isEmpty()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private int verdict(String order, String bob, boolean deadLetterListed) {
        String alice = alice(bob);
        List<String> missing = new ArrayList<>(Story.missing(trace.steps(), alice, bob));
        if (!deadLetterListed) {
            missing.add("bob's dead letter listed by shipping.deadLetters()");
        }
        Set<String> traced = observability.servicesIn(aliceTrace[0]);
        if (!traced.containsAll(List.of("ordering", "payment", "shipping", "notification"))) {
            missing.add("alice's order as one trace across ordering, payment, shipping and notification (consumer spans"
                    + " in her trace: " + traced + ")");
        }
        out.println();
        if (trace.otherRunsSteps() > 0) {
            out.println("(" + trace.otherRunsSteps() + " step(s) of messages left over from earlier runs on this broker"
                    + " were handled too; they are not part of this run's verdict)");
        }
        if (missing.isEmpty()) {
            out.println("alice's order " + order + ": ordering, payment, shipping and notification all carried her"
                    + " request's correlation id " + alice);
            out.println("DEMO OK: request/reply, retries, correlation, dead letter and duplicate suppression all shown");
            return 0;
        }
        out.println("DEMO FAILED: missing " + missing);
        return 1;
    }
}
