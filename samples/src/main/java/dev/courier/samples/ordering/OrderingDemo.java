package dev.courier.samples.ordering;

import dev.courier.DeadLetter;
import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.samples.ordering.Messages.Line;
import dev.courier.samples.ordering.Messages.OrderAccepted;
import dev.courier.samples.ordering.Messages.PlaceOrder;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.asyncapi.AsyncApi;
import dev.courier.asyncapi.SystemContract;

import dev.courier.jdbc.JdbcInbox;
import dev.courier.jdbc.JdbcOutbox;
import dev.courier.jdbc.OutboxRelay;
import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

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
 * missing) when not.
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
    private final String run = UUID.randomUUID().toString().substring(0, 6);

    public OrderingDemo(String uri, PrintStream out) {
        this(uri, null, out);
    }

    /** With {@code jdbcUrl} (PostgreSQL), services use the durable JDBC inbox and ordering uses the outbox. */
    public OrderingDemo(String uri, String jdbcUrl, PrintStream out) {
        this.uri = uri;
        this.jdbcUrl = jdbcUrl;
        this.out = out;
        this.trace = new Trace(out);
    }

    /** {@code [transport URI] [--jdbc jdbc:postgresql://host/db?user=...]}. */
    public static void main(String[] args) {
        String uri = "memory:";
        String jdbc = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--jdbc") && i + 1 < args.length) {
                jdbc = args[++i];
            } else if (!args[i].startsWith("--")) {
                uri = args[i];
            } else {
                System.err.println("usage: courier-demo.jar [transport URI] [--jdbc jdbc:postgresql://...]");
                System.exit(2);
            }
        }
        int code = new OrderingDemo(uri, jdbc, System.out).run();
        System.exit(code);
    }

    private MessageBus.Builder bus(String service) {
        return MessageBus.builder(service)
                .transport(uri)
                .retryPolicy(DEMO_RETRIES)
                .listener(trace.listenerFor(service));
    }

    /** Runs the story; returns the process exit code. */
    public int run() {
        out.println("Courier ordering demo on " + uri.replaceAll("//[^@/]*@", "//***@"));
        List<MessageBus> buses = new ArrayList<>();
        List<AutoCloseable> closeables = new ArrayList<>(); // the outbox relay first, the inbox last
        try {
            Map<String, Function<MessageBus.Builder, MessageBus.Builder>> services = new LinkedHashMap<>();
            services.put("ordering", OrderingService::configure);
            services.put("payment", PaymentService::configure);
            services.put("shipping", ShippingService::configure);
            services.put("notification", NotificationService::configure);
            Map<String, MessageBus> byName = new LinkedHashMap<>();
            JdbcParts db = jdbcUrl == null ? null : JdbcParts.open(jdbcUrl, closeables);
            for (Map.Entry<String, Function<MessageBus.Builder, MessageBus.Builder>> s : services.entrySet()) {
                MessageBus b;
                if (db != null && s.getKey().equals("ordering")) {
                    JdbcOutbox[] outbox = new JdbcOutbox[1];
                    b = OrderingService.configureJdbc(bus("ordering"), db.inbox, () -> outbox[0]).build();
                    outbox[0] = JdbcOutbox.builder(db.dataSource, b).table("demo_outbox").build().createSchema();
                    closeables.add(0, outbox[0].relay().pollInterval(Duration.ofMillis(50)).build());
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
            if (db != null) {
                ((OutboxRelay) closeables.get(0)).start();
                trace.note("jdbc", "services use the durable inbox; ordering writes v1.order.placed through the outbox");
            }
            MessageBus storefront = bus("storefront").produces(PlaceOrder.class).build();
            buses.add(storefront);
            storefront.start();
            writeContracts(buses);

            // 1. A customer places an order: request/reply over messaging.
            trace.note("storefront", "alice places an order (request v1.order.place)");
            OrderAccepted accepted = storefront.request(
                    new PlaceOrder("alice", List.of(new Line("BOOK-42", 2, new BigDecimal("12.50")))),
                    OrderAccepted.class, Duration.ofSeconds(15)).join();
            trace.note("storefront", "reply: " + accepted.orderId());

            // 2. Another customer double-clicks "place order": same idempotency key twice.
            String key = "checkout-" + run;
            trace.note("storefront", "bob double-submits an order with idempotency key " + key);
            PlaceOrder bobs = new PlaceOrder("bob", List.of(new Line("DISCONTINUED-LAMP", 1, new BigDecimal("80.00"))));
            storefront.send(bobs, Map.of("id", key)).join();
            storefront.send(bobs, Map.of("id", key)).join();

            boolean complete = waitForStory(accepted.orderId(), key, Duration.ofSeconds(60));

            // 3. Show shipping's dead letters, then discard ours so the broker stays clean.
            List<DeadLetter> dead = byName.get("shipping").deadLetters().list(100);
            for (DeadLetter dl : dead) {
                trace.note("shipping", "dead letter " + dl.messageType() + " " + dl.messageId() + " after "
                        + dl.attempts() + " attempts: " + dl.errorType() + ": " + dl.errorMessage());
            }
            String bobsCorrelation = key;
            boolean deadLetterListed = dead.stream().anyMatch(d -> bobsCorrelation.equals(d.headers().get("correlationid")));
            dead.stream().filter(d -> bobsCorrelation.equals(d.headers().get("correlationid")))
                    .forEach(d -> byName.get("shipping").deadLetters().discard(d.messageId()));
            return verdict(accepted.orderId(), key, complete && deadLetterListed);
        } catch (RuntimeException e) {
            out.println("FAILED: the demo could not run: " + e);
            e.printStackTrace(out);
            return 1;
        } finally {
            if (!closeables.isEmpty()) {
                close(closeables.remove(0)); // stop the relay before the buses it publishes through
            }
            for (MessageBus b : buses) {
                b.close();
            }
            closeables.forEach(OrderingDemo::close);
        }
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("close failed: " + e);
        }
    }

    /** The PostgreSQL side of the demo: one data source, one inbox shared by the services, the orders table. */
    private record JdbcParts(PGSimpleDataSource dataSource, JdbcInbox inbox) {
        static JdbcParts open(String url, List<AutoCloseable> closeables) {
            PGSimpleDataSource ds = new PGSimpleDataSource();
            ds.setURL(url);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS demo_orders (order_id VARCHAR(32) PRIMARY KEY,"
                        + " customer_id VARCHAR(64) NOT NULL, total NUMERIC(12,2) NOT NULL)");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot prepare the demo tables at " + url.replaceAll("password=[^&]*", "password=***")
                        + ": " + e.getMessage(), e);
            }
            JdbcInbox inbox = JdbcInbox.builder(ds).table("demo_inbox").build().createSchema();
            closeables.add(inbox);
            return new JdbcParts(ds, inbox);
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

    private boolean waitForStory(String orderA, String keyB, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (System.nanoTime() < deadline) {
            if (missing(orderA, keyB).isEmpty()) {
                return true;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** What of the story has not happened (yet). */
    private List<String> missing(String orderA, String keyB) {
        List<Trace.Step> steps = trace.steps();
        Set<String> corrA = steps.stream().filter(s -> s.what().equals("handled") && s.type().equals("v1.order.place")
                        && s.service().equals("ordering")).map(Trace.Step::correlationId)
                .filter(c -> c != null && !c.equals(keyB)).collect(Collectors.toSet());
        String corr = corrA.size() == 1 ? corrA.iterator().next() : null;
        List<String> missing = new ArrayList<>();
        check(missing, corr != null, "ordering handled alice's order");
        check(missing, has(steps, "payment", "retry", "v1.order.placed", corr, 2), "payment retried twice");
        check(missing, has(steps, "payment", "handled", "v1.order.placed", corr, 1), "payment captured after retries");
        check(missing, has(steps, "shipping", "handled", "v1.payment.captured", corr, 1), "shipping shipped alice's order");
        check(missing, has(steps, "notification", "handled", "v1.order.shipped", corr, 1), "notification told alice");
        check(missing, has(steps, "ordering", "duplicate skipped", "v1.order.place", keyB, 1), "bob's duplicate skipped");
        check(missing, has(steps, "shipping", "DEAD-LETTERED", "v1.payment.captured", keyB, 1), "bob's order dead-lettered");
        return missing;
    }

    private static boolean has(List<Trace.Step> steps, String service, String what, String type, String corr, int atLeast) {
        return corr != null && steps.stream().filter(s -> s.service().equals(service) && s.what().equals(what)
                && s.type().equals(type) && corr.equals(s.correlationId())).count() >= atLeast;
    }

    private static void check(List<String> missing, boolean ok, String what) {
        if (!ok) {
            missing.add(what);
        }
    }

    private int verdict(String orderA, String keyB, boolean complete) {
        List<String> missing = missing(orderA, keyB);
        Set<String> correlations = trace.steps().stream().filter(s -> s.correlationId() != null
                && !s.correlationId().equals(keyB)).map(Trace.Step::correlationId).collect(Collectors.toSet());
        out.println();
        out.println("alice's order " + orderA + ": every step carried one correlation id " + correlations);
        if (complete && missing.isEmpty() && correlations.size() == 1) {
            out.println("DEMO OK: request/reply, retries, correlation, dead letter and duplicate suppression all shown");
            return 0;
        }
        if (correlations.size() != 1) {
            missing.add("one correlation id for alice's chain (saw " + correlations + ")");
        }
        if (!complete) {
            missing.add("bob's dead letter listed by shipping.deadLetters()");
        }
        out.println("DEMO FAILED: missing " + missing);
        return 1;
    }
}
