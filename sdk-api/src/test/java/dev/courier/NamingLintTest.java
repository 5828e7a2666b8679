package dev.courier;

import dev.courier.NamingLint.Tense;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamingLintTest {

    @MessageName("v1.job.run")
    record RunJob(String id) implements Command {
    }

    @MessageName("v1.cache.set")
    record SetCache(String key) implements Command {
    }

    @MessageName("v1.password.reset")
    record ResetPassword(String user) implements Command {
    }

    @MessageName("v1.cache.set")
    record CacheSet(String key) implements Event {
    }

    private static String lint(MessageType.Kind kind, String name) {
        return NamingLint.check(new MessageType(name, Object.class, kind));
    }

    @Test
    void pastTenseHeuristic() {
        for (String past : new String[] {"v1.order.placed", "v1.payment.captured", "v1.order.shipped", "v1.mail.sent",
                "v1.invoice.paid", "v1.user.sign-up-completed", "v1.user.signed-up", "v1.terms.agreed", "v1.light.turned-on",
                "v1.quota.exceeded", "v1.report.rebuilt", "v1.cat.fed"}) {
            assertEquals(Tense.PAST, NamingLint.tense(past), past);
        }
        for (String present : new String[] {"v1.order.place", "v1.payment.capture", "v1.order.ship", "v1.mail.send",
                "v1.seed.feed", "v1.light.turn-on", "v1.video.embed", "v1.step.proceed", "v1.inbox.poll"}) {
            assertEquals(Tense.PRESENT, NamingLint.tense(present), present);
        }
    }

    @Test
    void verbsThatReadTheSameInBothTensesAreNeverFlagged() {
        for (String verb : new String[] {"set", "put", "read", "reset", "shut", "split", "run", "rerun", "cut", "hit", "let",
                "quit", "cast", "broadcast", "spread", "upset", "offset", "preset", "unread", "shut-down", "set-up"}) {
            String name = "v1.thing." + verb;
            assertEquals(Tense.AMBIGUOUS, NamingLint.tense(name), name);
            assertNull(lint(MessageType.Kind.COMMAND, name), name + " as a command");
            assertNull(lint(MessageType.Kind.EVENT, name), name + " as an event");
        }
    }

    @Test
    void strictNamingNeverRejectsAnAmbiguousVerb() {
        assertDoesNotThrow(() -> MessageBus.builder("svc").transport("memory:naming-lint").strictNaming(true)
                .produces(RunJob.class, SetCache.class, ResetPassword.class).build().close());
        assertDoesNotThrow(() -> MessageBus.builder("svc").transport("memory:naming-lint").strictNaming(true)
                .produces(CacheSet.class).build().close());
    }

    /** One row of naming/asyncapi-names.tsv: a real name from a public AsyncAPI document. */
    record Real(String kind, String verb, String label, String original, String source) {
        String name() {
            return "v1.thing." + verb;
        }
    }

    private static List<Real> realNames() throws IOException {
        List<Real> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                NamingLintTest.class.getResourceAsStream("/naming/asyncapi-names.tsv")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] f = line.split("\t");
                    out.add(new Real(f[0], f[1], f[2], f[3], f[4]));
                }
            }
        }
        return out;
    }

    @Test
    void theWordListsAgreeWithRealNamesFromPublicAsyncApiDocuments() throws IOException {
        List<Real> real = realNames();
        assertTrue(real.size() >= 300, "a few hundred real names: " + real.size());
        List<String> wrong = new ArrayList<>();
        for (Real n : real) {
            Tense t = NamingLint.tense(n.name());
            boolean ok = switch (n.label()) {
                case "past" -> t == Tense.PAST;
                case "present" -> t == Tense.PRESENT;
                case "ambiguous" -> t == Tense.AMBIGUOUS;
                default -> t != Tense.PAST; // a noun reads as "not past"
            };
            if (!ok) {
                wrong.add(n.original() + " (" + n.source() + ", " + n.verb() + ": labelled " + n.label() + ", read " + t + ")");
            }
        }
        assertEquals(List.of(), wrong, "verbs the lint reads differently from their real use");
    }

    @Test
    void noRealCommandInThePresentAndNoRealEventInThePastIsFlagged() throws IOException {
        List<String> flagged = new ArrayList<>();
        int checked = 0;
        for (Real n : realNames()) {
            boolean command = n.kind().equals("command");
            boolean reads = command ? !n.label().equals("past") && !n.label().equals("noun")
                    : n.label().equals("past") || n.label().equals("ambiguous");
            if (!reads) {
                continue;
            }
            checked++;
            String lint = lint(command ? MessageType.Kind.COMMAND : MessageType.Kind.EVENT, n.name());
            if (lint != null) {
                flagged.add(n.original() + " (" + n.source() + "): " + lint);
            }
        }
        assertTrue(checked > 150, "names checked: " + checked);
        assertEquals(List.of(), flagged, "names that follow the rule must never be flagged");
        assertFalse(NamingLint.readsAsPastTense("v1.job.run"), "the issue's example: v1.job.run is a command");
    }
}
