package dev.courier.cli;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What courier does before it needs a broker: help, usage errors, memory:, credentials. */
class CliUsageTest {

    @Test
    void helpReadsLikeAManPage() {
        Cli.Result top = Cli.run("--help");
        assertEquals(0, top.code(), top::toString);
        for (String section : List.of("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT CODES", "SEE ALSO")) {
            assertTrue(top.out().contains("\n" + section + "\n"), () -> "no " + section + " section\n" + top);
        }
        Cli.Result replay = Cli.run("dlq", "replay", "--help");
        assertEquals(0, replay.code(), replay::toString);
        assertTrue(replay.out().contains("courier dlq replay - send dead letters back to their service's handler"), replay::toString);
        for (String s : List.of("ARGUMENTS", "EXIT CODES", "EXAMPLES", "--dry-run", "--yes", "--error", "--since",
                "  3   could not connect or log in to the broker; nothing was done")) {
            assertTrue(replay.out().contains(s), () -> "no '" + s + "'\n" + replay);
        }
        Cli.Result bare = Cli.run("dlq");
        assertEquals(0, bare.code(), bare::toString);
        assertTrue(bare.out().contains("COMMANDS") && bare.out().contains("  list "), bare::toString);
    }

    @Test
    void memoryIsRefusedWithTheReason() {
        for (String uri : List.of("memory:", "MEMORY:", "memory:other")) {
            Cli.Result r = Cli.run("dlq", "list", uri, "--service", "billing");
            assertEquals(ExitCodes.USAGE, r.code(), r::toString);
            assertTrue(r.err().startsWith("courier: memory: cannot be inspected from another process: an in-memory bus"
                    + " keeps its dead letters inside the process that runs it"), r::toString);
        }
    }

    @Test
    void usageErrorsExit2BeforeAnyConnection() {
        // port 1: nothing listens, so reaching the broker would exit 3, not 2
        String uri = "amqp://127.0.0.1:1/";
        assertUsage(Cli.run("dlq", "list", uri), "Missing required option: '--service=<service>'");
        assertUsage(Cli.run("dlq", "list", uri, "-s", "billing", "--bogus"), "Unknown option: '--bogus'");
        assertUsage(Cli.run("dlq", "replay", uri, "-s", "billing"), "say which dead letters to replay: <id>..., --all,"
                + " --type, --error or --since");
        assertUsage(Cli.run("dlq", "replay", uri, "-s", "billing", "id1", "--all"), "give either ids or"
                + " --all/--type/--error/--since, not both");
        assertUsage(Cli.run("dlq", "discard", uri, "-s", "billing", "--all", "--type", "v1.a.b"), "--all selects everything");
        assertUsage(Cli.run("dlq", "list", uri, "-s", "billing", "--since", "yesterday"), "'yesterday' is neither an ISO time");
        assertUsage(Cli.run("dlq", "list", uri, "-s", "billing", "--limit", "0"), "--limit must be at least 1");
        assertUsage(Cli.run("dlq", "list", uri, "-s", "Bad_Name"), "service");
        assertUsage(Cli.run("dlq", "list", "amqp://127.0.0.1:1/?nonsense=1", "-s", "billing"), "parameter 'nonsense'");
        assertUsage(Cli.run("dlq", "list", "nosuch://x", "-s", "billing"), "no transport on the class path handles 'nosuch:'");
    }

    private static void assertUsage(Cli.Result r, String message) {
        assertEquals(ExitCodes.USAGE, r.code(), r::toString);
        assertTrue(r.err().contains(message), () -> "expected '" + message + "'\n" + r);
    }

    @Test
    void credentialsGoIntoTheUriAndAreRedactedFromEverything() {
        Set<String> secrets = new HashSet<>();
        Cli.FakeTerminal none = Cli.FakeTerminal.none();
        assertEquals("amqp://guest:guest@h:5672/v?namespace=n", Credentials.apply("amqp://h:5672/v?namespace=n", null, false,
                Map.of("COURIER_USERNAME", "guest", "COURIER_PASSWORD", "guest"), none, secrets));
        assertEquals("amqp://ops:p%40ss%3Aw%2Fd@h1:5672,h2:5672/", Credentials.apply("amqp://ops@h1:5672,h2:5672/", null, false,
                Map.of("COURIER_PASSWORD", "p@ss:w/d"), none, secrets), "a cluster address list and a password to escape");
        assertEquals("mqtt://me:from-uri@h:1883", Credentials.apply("mqtt://me:from-uri@h:1883", null, false,
                Map.of("COURIER_PASSWORD", "env"), none, secrets), "the URI's own password wins");
        assertEquals("mqtt://h:1883", Credentials.apply("mqtt://h:1883", null, false, Map.of(), none, secrets),
                "no user: the URI as it is");
        assertEquals("ws://h:8080/?x=1&token=t%2Bk", Credentials.apply("ws://h:8080/?x=1", null, false,
                Map.of("COURIER_TOKEN", "t+k"), none, secrets));
        assertTrue(secrets.containsAll(List.of("guest", "p@ss:w/d", "p%40ss%3Aw%2Fd", "from-uri", "t+k", "t%2Bk")), secrets::toString);
        Cli.FakeTerminal asks = new Cli.FakeTerminal(true, "typed-secret");
        assertEquals("amqp://ops:typed-secret@h/", Credentials.apply("amqp://h/", "ops", false, Map.of(), asks, secrets));
        assertEquals(List.of("Password for ops@h: "), asks.prompts);
        CliException e = assertThrows(CliException.class, () -> Credentials.apply("amqp://h/", "ops", false, Map.of(), none, secrets));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertEquals("amqp://u:***@h:5672/?token=***", Target.redact("amqp://u:pw@h:5672/?token=abc"), "Courier's one redactor: the password and secret parameters, not the user");
    }

    @Test
    void aPasswordInAnErrorMessageIsNeverPrinted() {
        // the URI is invalid after the password: courier's own message names it, redacted
        Cli.Result r = Cli.run(Map.of("COURIER_PASSWORD", "hunter2-xyz"), Cli.FakeTerminal.none(),
                "dlq", "list", "amqp://ops:hunter2-xyz@127.0.0.1:1/?startTimeout=1&hunter2-xyz=1", "-s", "billing");
        assertEquals(ExitCodes.USAGE, r.code(), r::toString);
        assertFalse(r.all().contains("hunter2-xyz"), r::toString);
        assertTrue(r.err().contains("***"), r::toString);
    }

    @Test
    void aBrokerThatNeverAnswersGivesUpAfterTheConnectTimeout() throws Exception {
        // accepts TCP connections (the backlog) but never speaks AMQP: the handshake hangs
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            long t0 = System.nanoTime();
            Cli.Result r = Cli.run("dlq", "list", "amqp://127.0.0.1:" + silent.getLocalPort() + "/", "-s", "billing",
                    "--connect-timeout", "1s");
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertEquals(ExitCodes.CONNECTION, r.code(), r::toString);
            assertEquals("courier: could not connect to amqp://127.0.0.1:" + silent.getLocalPort() + "/ as service 'billing'"
                    + " within --connect-timeout 1s\n", r.err(), r::toString);
            assertTrue(seconds < 20, "gave up after " + seconds + " s, not after the 1 s connect timeout (AMQP's own is 30 s)");
        }
    }

    @Test
    void sinceTakesAnInstantOrAnAge() {
        Filter.Since since = new Filter.Since();
        assertEquals(Instant.parse("2026-11-30T04:00:00Z"), since.convert("2026-11-30T04:00:00Z"));
        assertEquals(Instant.parse("2026-11-30T03:00:00Z"), since.convert("2026-11-30T04:00:00+01:00"));
        Instant twoHoursAgo = since.convert("2h");
        assertTrue(Math.abs(twoHoursAgo.plusSeconds(7200).toEpochMilli() - System.currentTimeMillis()) < 60_000);
        assertEquals(java.time.Duration.ofMinutes(90), Durations.parse("PT1H30M"));
        assertEquals(java.time.Duration.ofDays(7), Durations.parse("7d"));
    }

    @Test
    void generateCompletionPrintsABashScript() {
        Cli.Result r = Cli.run("generate-completion");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("complete -F _complete_courier") && r.out().contains("dlq"), r::toString);
        assertTrue(r.out().contains("--dry-run"), "the completion knows the options of dlq replay");
    }

    @Test
    void versionIsPrinted() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().startsWith("courier "), r::toString);
    }
}
