package dev.courier.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.BusListener;
import dev.courier.Command;
import dev.courier.DeadLetter;
import dev.courier.Envelope;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.NonRetryableException;
import dev.courier.RetryPolicy;
import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CLI against a real broker, the same cases for every transport: a service dead-letters messages
 * (its handler throws {@link NonRetryableException}), then {@code courier dlq} lists, shows, replays
 * (the handler now succeeds) and discards them. Each test has its own namespace, removed afterwards.
 */
abstract class DlqCliContract {
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final AtomicInteger SEQ = new AtomicInteger();
    static final String SERVICE = "billing";
    static final String OTHER = "audit";

    @MessageName("v1.clitest.create")
    public record CreateInvoice(String customer, int amount) implements Command {
    }

    @MessageName("v1.clitest.noted")
    public record PaymentNoted(String customer, int amount) implements Event {
    }

    protected String ns;
    private final List<MessageBus> buses = new CopyOnWriteArrayList<>();
    /** While true, the billing handlers throw NonRetryableException. */
    private final AtomicBoolean failing = new AtomicBoolean(true);
    /** While false, customers named poison-* fail even when the others succeed. */
    private final AtomicBoolean poisonHealed = new AtomicBoolean();
    /** Successful handler runs per message id, in billing and in audit. */
    final Map<String, AtomicInteger> billed = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> audited = new ConcurrentHashMap<>();
    /** Deliveries to audit that its deduplication dropped: a replay that leaked to audit would show here. */
    final List<String> auditDuplicates = new CopyOnWriteArrayList<>();
    MessageBus billing;

    /** The broker URI for namespace {@code ns} (with the test broker's credentials). */
    abstract String uri(String ns);

    abstract void requireBroker();

    /** Removes what the namespace left on the broker. */
    abstract void cleanUp(String ns, List<String> services, List<String> names) throws Exception;

    @BeforeEach
    void start() {
        requireBroker();
        ns = "cli" + RUN + "x" + SEQ.incrementAndGet();
        billing = bus(MessageBus.builder(SERVICE).instanceId("i1")
                .onCommand(CreateInvoice.class, (m, ctx) -> handle(ctx.messageId(), m.customer()))
                .onEvent(PaymentNoted.class, (m, ctx) -> handle(ctx.messageId(), m.customer())));
        bus(MessageBus.builder(OTHER).instanceId("i1")
                .listener(new BusListener() {
                    @Override
                    public void duplicate(Envelope envelope) {
                        auditDuplicates.add(envelope.id());
                    }
                })
                .onEvent(PaymentNoted.class, (m, ctx) -> audited.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger())
                        .incrementAndGet()));
    }

    private void handle(String id, String customer) {
        if (failing.get() || customer.startsWith("poison") && !poisonHealed.get()) {
            throw new NonRetryableException("card declined for " + customer);
        }
        billed.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    }

    private MessageBus bus(MessageBus.Builder b) {
        MessageBus bus = b.transport(uri(ns))
                .retryPolicy(RetryPolicy.none())
                .publishTimeout(Duration.ofSeconds(20))
                .closeTimeout(Duration.ofSeconds(10))
                .produces(CreateInvoice.class, PaymentNoted.class)
                .build();
        buses.add(bus);
        bus.start();
        return bus;
    }

    @AfterEach
    void stop() throws Exception {
        for (MessageBus b : buses) {
            try {
                b.close();
            } catch (RuntimeException e) {
                // keep cleaning up
            }
        }
        if (ns != null) {
            cleanUp(ns, List.of(SERVICE, OTHER), List.of("v1.clitest.create", "v1.clitest.noted"));
        }
    }

    Cli.Result cli(String... args) {
        return Cli.run(Map.of(), Cli.FakeTerminal.none(), args);
    }

    /** Sends, waits until the dead letter is there, and returns its id. */
    String deadLetter(Object message) {
        int before = billing.deadLetters().list(1000).size();
        String id = "m-" + ns + "-" + SEQ.incrementAndGet();
        if (message instanceof Command c) {
            billing.send(c, Map.of(Headers.ID, id)).join();
        } else {
            billing.publish((Event) message, Map.of(Headers.ID, id)).join();
        }
        Await.until(Duration.ofSeconds(30), () -> billing.deadLetters().list(1000).size() == before + 1,
                () -> "message " + id + " was not dead-lettered");
        return id;
    }

    List<String> deadLetterIds() {
        List<String> ids = new ArrayList<>();
        for (DeadLetter d : billing.deadLetters().list(1000)) {
            ids.add(d.messageId());
        }
        return ids;
    }

    int count(Map<String, AtomicInteger> runs, String id) {
        AtomicInteger n = runs.get(id);
        return n == null ? 0 : n.get();
    }

    @Test
    void listShowsEveryDeadLetterAsATableOrJsonLinesAndFilters() throws Exception {
        String c1 = deadLetter(new CreateInvoice("ada", 42));
        String c2 = deadLetter(new CreateInvoice("bob", 7));
        String e1 = deadLetter(new PaymentNoted("cy", 3));

        Cli.Result table = cli("dlq", "list", uri(ns), "--service", SERVICE);
        assertEquals(0, table.code(), table::toString);
        assertTrue(table.outLines().get(0).matches("ID +TYPE +FIRST FAILURE +LAST FAILURE +ATTEMPTS +CORRELATION ID +ERROR"),
                table::toString);
        for (String id : List.of(c1, c2, e1)) {
            assertTrue(table.out().contains(id), () -> id + " missing\n" + table);
        }
        assertTrue(table.out().contains("NonRetryableException: card declined for ada"), table::toString);
        assertTrue(table.out().contains("3 dead letters for service 'billing'."), table::toString);

        Cli.Result json = cli("dlq", "list", uri(ns), "-s", SERVICE, "--json");
        assertEquals(0, json.code(), json::toString);
        List<String> lines = json.outLines();
        assertEquals(3, lines.size(), json::toString);
        JsonNode first = Render.JSON.readTree(lines.get(0));
        assertEquals(c1, first.get("id").asText());
        assertEquals("v1.clitest.create", first.get("type").asText());
        assertEquals("dev.courier.NonRetryableException", first.get("errorType").asText());
        assertEquals("card declined for ada", first.get("errorMessage").asText());
        assertEquals(1, first.get("attempts").asInt());
        assertEquals(c1, first.get("correlationId").asText(), "a root message's correlation id is its own id");
        assertFalse(Instant.parse(first.get("lastFailure").asText()).isBefore(Instant.parse(first.get("firstFailure").asText())));

        Cli.Result byType = cli("dlq", "list", uri(ns), "-s", SERVICE, "--type", "v1.clitest.noted", "--json");
        assertEquals(List.of(e1), byType.outLines().stream().map(l -> l.replaceAll(".*\"id\":\"([^\"]+)\".*", "$1")).toList(),
                byType::toString);
        Cli.Result limited = cli("dlq", "list", uri(ns), "-s", SERVICE, "--limit", "2");
        assertTrue(limited.out().contains("Showing 2 of 3 (--limit)."), limited::toString);
        assertFalse(limited.out().contains(e1), limited::toString);
        Cli.Result future = cli("dlq", "list", uri(ns), "-s", SERVICE, "--since", Instant.now().plusSeconds(3600).toString());
        assertTrue(future.out().contains("No dead letters failed since"), future::toString);
        Cli.Result recent = cli("dlq", "list", uri(ns), "-s", SERVICE, "--since", "1h", "--error", "NonRetryableException", "--json");
        assertEquals(3, recent.outLines().size(), recent::toString);
        assertEquals(List.of(c1, c2, e1), deadLetterIds(), "list changes nothing");
    }

    @Test
    void showPrintsDiagnosticsStackTraceAndPrettyPayload() throws Exception {
        String id = deadLetter(new CreateInvoice("ada", 42));
        Cli.Result r = cli("dlq", "show", uri(ns), "--service", SERVICE, id);
        assertEquals(0, r.code(), r::toString);
        String out = r.out();
        assertTrue(out.startsWith("Dead letter " + id + " of service 'billing'"), r::toString);
        for (String s : List.of("type            v1.clitest.create", "came from       command:v1.clitest.create",
                "error           dev.courier.NonRetryableException", "message         card declined for ada",
                "attempts        1", "correlation id  " + id, "Headers:", "  dlservice: billing", "Stack trace:",
                "dev.courier.NonRetryableException: card declined for ada", "Payload (", "\"customer\" : \"ada\"",
                "\"amount\" : 42")) {
            assertTrue(out.contains(s), () -> "missing '" + s + "'\n" + r);
        }
        Cli.Result json = cli("dlq", "show", uri(ns), "-s", SERVICE, id, "--json");
        JsonNode n = Render.JSON.readTree(json.out());
        assertEquals(42, n.get("payload").get("amount").asInt(), json::toString);
        assertTrue(n.get("stackTrace").asText().contains("NonRetryableException"), json::toString);
        assertEquals("billing", n.get("headers").get("dlservice").asText());

        Cli.Result missing = cli("dlq", "show", uri(ns), "-s", SERVICE, "no-such-id");
        assertEquals(ExitCodes.NOT_FOUND, missing.code(), missing::toString);
        assertTrue(missing.err().contains("no dead letter with id no-such-id in service 'billing'"), missing::toString);
    }

    @Test
    void replayByTypeAsksDryRunsThenRunsTheHandlerAgainInThisServiceOnly() {
        String c1 = deadLetter(new CreateInvoice("ada", 42));
        String e1 = deadLetter(new PaymentNoted("cy", 3));
        String c2 = deadLetter(new CreateInvoice("bob", 7));
        Await.until(Duration.ofSeconds(30), () -> count(audited, e1) == 1, () -> "audit never got " + e1);
        failing.set(false);

        Cli.Result dry = cli("dlq", "replay", uri(ns), "-s", SERVICE, "--type", "v1.clitest.create", "--dry-run");
        assertEquals(0, dry.code(), dry::toString);
        assertTrue(dry.out().contains("would replay") && dry.out().contains(c1) && dry.out().contains(c2)
                && !dry.out().contains(e1), dry::toString);
        assertTrue(dry.out().contains("Dry run: would replay 2 dead letters of service 'billing' (v1.clitest.create ×2);"
                + " nothing was done."), dry::toString);
        assertEquals(List.of(c1, e1, c2), deadLetterIds(), "a dry run changes nothing");

        Cli.Result refused = cli("dlq", "replay", uri(ns), "-s", SERVICE, "--type", "v1.clitest.create");
        assertEquals(ExitCodes.USAGE, refused.code(), refused::toString);
        assertTrue(refused.err().contains("refusing to replay 2 dead letters without confirmation: there is no terminal"
                + " to ask on. Check the selection with --dry-run, then add --yes."), refused::toString);

        Cli.FakeTerminal no = Cli.FakeTerminal.answering("n");
        Cli.Result declined = Cli.run(Map.of(), no, "dlq", "replay", uri(ns), "-s", SERVICE, "--type", "v1.clitest.create");
        assertEquals(ExitCodes.DECLINED, declined.code(), declined::toString);
        assertEquals(List.of("Replay 2 dead letters of service 'billing' (v1.clitest.create ×2)? [y/N] "), no.prompts);
        assertEquals(List.of(c1, e1, c2), deadLetterIds(), "declined: nothing done");

        Cli.Result yes = Cli.run(Map.of(), Cli.FakeTerminal.answering("y"), "dlq", "replay", uri(ns), "-s", SERVICE,
                "--type", "v1.clitest.create");
        assertEquals(0, yes.code(), yes::toString);
        assertTrue(yes.out().contains("replayed       " + c1 + "  v1.clitest.create"), yes::toString);
        assertTrue(yes.out().contains("Replayed 2 of 2 dead letters of service 'billing'."), yes::toString);
        Await.until(Duration.ofSeconds(30), () -> count(billed, c1) == 1 && count(billed, c2) == 1,
                () -> "the handler did not run again for the replayed commands: " + billed);
        assertEquals(List.of(e1), deadLetterIds());

        // an event goes back to billing only: audit, which handled it the first time, never sees it again
        Cli.Result one = cli("dlq", "replay", uri(ns), "-s", SERVICE, e1);
        assertEquals(0, one.code(), one::toString);
        Await.until(Duration.ofSeconds(30), () -> count(billed, e1) == 1, () -> "billing did not handle the replayed event");
        Await.stays(Duration.ofSeconds(1), () -> count(audited, e1) == 1 && auditDuplicates.isEmpty(),
                () -> "the replayed event reached audit: handled " + audited + ", dropped as duplicates " + auditDuplicates);
        assertEquals(List.of(), deadLetterIds());
    }

    @Test
    void aBulkReplayThatFailsHalfWayNamesEveryIdAndCanBeRunAgain() throws Exception {
        failing.set(false);
        String a = deadLetter(new CreateInvoice("poison-a", 1));
        String x = injectForeignDeadLetter();
        String b = deadLetter(new CreateInvoice("poison-b", 2));
        assertEquals(List.of(a, x, b), deadLetterIds());
        // now a and b would succeed; x came from no event or command address and cannot be replayed
        Cli.Result dry = cli("dlq", "replay", uri(ns), "-s", SERVICE, "--all", "--dry-run", "--json");
        assertEquals(3, dry.outLines().size(), dry::toString);
        assertTrue(dry.outLines().get(1).contains("\"outcome\":\"would-replay\""), dry::toString);

        healPoison();
        Cli.Result r = cli("dlq", "replay", uri(ns), "-s", SERVICE, "--all", "--yes");
        assertEquals(ExitCodes.FAILED, r.code(), r::toString);
        List<String> lines = r.outLines();
        assertTrue(lines.get(0).startsWith("replayed       " + a), r::toString);
        assertTrue(lines.get(1).startsWith("FAILED         " + x + "  v1.clitest.create  (dead letter " + x
                + " cannot be replayed: it did not come from an event or command address"), r::toString);
        assertTrue(lines.get(2).startsWith("replayed       " + b), r::toString);
        assertTrue(lines.get(3).startsWith("Replayed 2 of 3 dead letters of service 'billing'; 1 failed. Running the same"
                + " command again is safe"), r::toString);
        Await.until(Duration.ofSeconds(30), () -> count(billed, a) == 1 && count(billed, b) == 1, () -> "billed: " + billed);
        assertEquals(List.of(x), deadLetterIds());

        Cli.Result again = cli("dlq", "replay", uri(ns), "-s", SERVICE, "--all", "--yes", "--json");
        assertEquals(ExitCodes.FAILED, again.code(), again::toString);
        assertEquals(1, again.outLines().size(), again::toString);
        JsonNode only = Render.JSON.readTree(again.outLines().get(0));
        assertEquals(x, only.get("id").asText());
        assertEquals("failed", only.get("outcome").asText());
        assertTrue(again.err().contains("Replayed 0 of 1"), again::toString);
        Await.stays(Duration.ofMillis(500), () -> count(billed, a) == 1 && count(billed, b) == 1,
                () -> "a re-run replayed again what had gone: " + billed);

        Cli.Result byId = cli("dlq", "replay", uri(ns), "-s", SERVICE, a, "no-such-id");
        assertEquals(ExitCodes.NOT_FOUND, byId.code(), byId::toString);
        assertTrue(byId.out().contains("not found      " + a), byId::toString);
        assertTrue(byId.out().contains("Replayed 0 of 2 dead letters of service 'billing'; 2 not found."), byId::toString);

        Cli.Result discard = Cli.run(Map.of(), Cli.FakeTerminal.answering("yes"), "dlq", "discard", uri(ns), "-s", SERVICE, x);
        assertEquals(0, discard.code(), discard::toString);
        assertTrue(discard.out().contains("discarded      " + x), discard::toString);
        assertEquals(List.of(), deadLetterIds());
    }

    @Test
    void discardAsksAlwaysAndRemovesBySelector() {
        String c1 = deadLetter(new CreateInvoice("ada", 42));
        String e1 = deadLetter(new PaymentNoted("cy", 3));
        Cli.Result refused = cli("dlq", "discard", uri(ns), "-s", SERVICE, c1);
        assertEquals(ExitCodes.USAGE, refused.code(), "discard asks even for one id: " + refused);
        Cli.Result byError = cli("dlq", "discard", uri(ns), "-s", SERVICE, "--error", "dev.courier.NonRetryableException",
                "--type", "v1.clitest.noted", "--yes");
        assertEquals(0, byError.code(), byError::toString);
        assertTrue(byError.out().contains("discarded      " + e1), byError::toString);
        assertEquals(List.of(c1), deadLetterIds());
        Cli.Result none = cli("dlq", "discard", uri(ns), "-s", SERVICE, "--type", "v1.clitest.noted", "--yes");
        assertEquals(0, none.code(), none::toString);
        assertTrue(none.out().contains("Nothing to discard: no dead letters of type v1.clitest.noted for service 'billing'."),
                none::toString);
        assertEquals(0, count(billed, c1), "discard never runs the handler");
    }

    @Test
    void credentialsFromTheEnvironmentOrPromptAreNeverPrinted() {
        String secret = "pw-" + ns + "-Secret";
        String bare = uri(ns).replaceFirst("//[^@/]*@", "//");
        Cli.Result wrong = Cli.run(Map.of(Credentials.ENV_USER, "courier-cli-nobody", Credentials.ENV_PASSWORD, secret),
                Cli.FakeTerminal.none(), "dlq", "list", bare, "-s", SERVICE);
        assertFalse(wrong.all().contains(secret), wrong::toString);
        assertWrongCredentials(wrong);

        Cli.FakeTerminal prompt = new Cli.FakeTerminal(true, secret);
        Cli.Result asked = Cli.run(Map.of(), prompt, "dlq", "list", bare, "-s", SERVICE, "--user", "courier-cli-nobody");
        assertFalse(asked.all().contains(secret), asked::toString);
        assertEquals(1, prompt.prompts.size(), asked::toString);
        assertTrue(prompt.prompts.get(0).startsWith("Password for courier-cli-nobody@"), prompt.prompts::toString);
        assertWrongCredentials(asked);

        Cli.Result noTerminal = Cli.run(Map.of(), Cli.FakeTerminal.none(), "dlq", "list", bare, "-s", SERVICE, "-u", "someone");
        assertEquals(ExitCodes.USAGE, noTerminal.code(), noTerminal::toString);
        assertTrue(noTerminal.err().contains("no password for user 'someone': set COURIER_PASSWORD or run courier in a"
                + " terminal to be asked"), noTerminal::toString);
    }

    /** What a wrong user and password give on this broker (refused, or accepted by an anonymous broker). */
    abstract void assertWrongCredentials(Cli.Result r);

    @Test
    void anUnreachableBrokerExits3() {
        Cli.Result r = cli("dlq", "list", unreachableUri(), "-s", SERVICE);
        assertEquals(ExitCodes.CONNECTION, r.code(), r::toString);
        assertTrue(r.err().startsWith("courier: could not connect to "), r::toString);
    }

    abstract String unreachableUri();

    /** Makes poison-* customers succeed from now on. */
    private void healPoison() {
        poisonHealed.set(true);
    }


    /** Puts a dead letter into billing's channel as another tool might: no dladdress, so it cannot be replayed. */
    private String injectForeignDeadLetter() throws Exception {
        String id = "foreign-" + ns;
        Transport t = Transports.load(uri(ns));
        try {
            t.start(new TransportContext(SERVICE, "inject", Duration.ofSeconds(20)));
            Map<String, String> h = new HashMap<>();
            h.put(Headers.ID, id);
            h.put(Headers.TYPE, "v1.clitest.create");
            h.put(Headers.SPECVERSION, "1.0");
            h.put(Headers.SOURCE, "hand-made");
            h.put(Headers.DATACONTENTTYPE, "application/json");
            h.put(Headers.DL_ERROR_TYPE, "com.acme.Foreign");
            h.put(Headers.DL_ERROR_MESSAGE, "made by hand");
            h.put(Headers.DL_ATTEMPTS, "1");
            h.put(Headers.DL_SERVICE, SERVICE);
            int before = billing.deadLetters().list(1000).size();
            t.publish(Address.deadLetter(SERVICE), h, "{\"customer\":\"x\",\"amount\":1}".getBytes(StandardCharsets.UTF_8))
                    .get(20, TimeUnit.SECONDS);
            Await.until(Duration.ofSeconds(30), () -> billing.deadLetters().list(1000).size() == before + 1,
                    () -> "the hand-made dead letter did not arrive");
        } finally {
            t.close();
        }
        return id;
    }
}
