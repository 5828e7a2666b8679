package dev.courier;

import ch.qos.logback.classic.Level;
import dev.courier.testing.LogCapture;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BuilderValidationTest {

    @MessageName("v1.order.placed")
    record OrderPlaced(String id) implements Event {
    }

    @MessageName("v1.order.placed")
    record OtherPlaced(String id) implements Event {
    }

    @MessageName("order-placed")
    record BadName(String id) implements Event {
    }

    @MessageName("v1.order.place")
    record PlaceOrder(String id) implements Command {
    }

    @MessageName("v1.order.place")
    record EventNamedLikeCommand(String id) implements Event {
    }

    @MessageName("v1.thing.happened")
    record NotAMessage(String id) {
    }

    record Unnamed(String id) implements Event {
    }

    private static String problems(Runnable r) {
        ConfigurationException e = assertThrows(ConfigurationException.class, r::run);
        return e.getMessage();
    }

    @Test
    void invalidNameIsRefusedNamingTypeAndRule() {
        String m = problems(() -> MessageBus.builder("svc").onEvent(BadName.class, (e, c) -> { }).build());
        assertTrue(m.contains(BadName.class.getName()) && m.contains("v<version>.<entity>.<verb>"), m);
    }

    @Test
    void aNameUsedByTwoTypesIsRefused() {
        String m = problems(() -> MessageBus.builder("svc").onEvent(OrderPlaced.class, (e, c) -> { })
                .produces(OtherPlaced.class).build());
        assertTrue(m.contains("used by two types") && m.contains("OtherPlaced") && m.contains("OrderPlaced"), m);
    }

    @Test
    void aTypeUnderTwoNamesIsRefused() {
        String m = problems(() -> MessageBus.builder("svc").message(OrderPlaced.class, "v2.order.placed")
                .onEvent(OrderPlaced.class, (e, c) -> { }).build());
        assertTrue(m.contains("two names") && m.contains("OrderPlaced"), m);
    }

    @Test
    void typesMustBeEventOrCommandAndNamed() {
        String m = problems(() -> MessageBus.builder("svc").produces(NotAMessage.class, Unnamed.class).build());
        assertTrue(m.contains("exactly one of dev.courier.Event or dev.courier.Command"), m);
        assertTrue(m.contains("has no message name"), m);
    }

    @Test
    void everyBadSettingIsReportedAtOnceByName() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> MessageBus.builder("Bad Service")
                .concurrency(0).prefetch(0).publishTimeout(java.time.Duration.ZERO).transport("nope://x").build());
        String m = e.getMessage();
        assertTrue(e.problems().size() >= 4, m);
        for (String setting : new String[] {"service", "concurrency", "prefetch", "publishTimeout", "transport"}) {
            assertTrue(m.contains(setting), "should name " + setting + ": " + m);
        }
    }

    @Test
    void aBusWithoutATransportWarnsThatItRunsOnTheInProcessBroker() {
        try (LogCapture log = LogCapture.of("dev.courier")) {
            MessageBus.builder("forgetful").build().close();
            List<String> warnings = log.messages(Level.WARN, "no transport");
            assertEquals(1, warnings.size(), "build() warns once when transport(...) was never called: " + log.dump());
            assertTrue(warnings.get(0).contains("forgetful") && warnings.get(0).contains("memory:")
                    && warnings.get(0).contains("transport("), "names the service, the default and the fix: " + warnings);
        }
        try (LogCapture log = LogCapture.of("dev.courier")) {
            MessageBus.builder("explicit").transport("memory:").build().close();
            assertEquals(0, log.count(Level.WARN, "no transport"), "memory: chosen explicitly is quiet: " + log.dump());
        }
    }

    @Test
    void unknownTransportSchemeSaysWhichModuleToAdd() {
        String m = problems(() -> MessageBus.builder("svc").transport("amqp://guest:secret@localhost/").build());
        assertTrue(m.contains("dev.courier:courier-amqp"), m); // the artifact a user adds
        assertTrue(!m.contains("secret"), "credentials must never appear in errors: " + m);
    }

    @Test
    void retryPolicyNamesBadSettings() {
        String m = problems(() -> RetryPolicy.custom().maxAttempts(0).multiplier(0.5).jitter(2).build());
        assertTrue(m.contains("maxAttempts") && m.contains("multiplier") && m.contains("jitter"), m);
    }

    @Test
    void namingLintWarnsByDefaultAndFailsWhenStrict() {
        try (LogCapture log = LogCapture.of("dev.courier")) {
            assertDoesNotThrow(() -> MessageBus.builder("svc").produces(EventNamedLikeCommand.class).build().close());
            List<String> warnings = log.messages(Level.WARN, "does not read as past tense");
            assertEquals(1, warnings.size(), "build() warns once about the misnamed event: " + log.dump());
            assertTrue(warnings.get(0).contains("EventNamedLikeCommand") && warnings.get(0).contains("strictNaming"),
                    "the warning names the type and the setting: " + warnings);
        }
        String m = problems(() -> MessageBus.builder("svc").strictNaming(true).produces(EventNamedLikeCommand.class).build());
        assertTrue(m.contains("past tense") && m.contains("EventNamedLikeCommand"), m);
        assertDoesNotThrow(() -> MessageBus.builder("svc").strictNaming(true).produces(OrderPlaced.class, PlaceOrder.class)
                .build().close());
    }

    @Test
    void userHeadersMustBeCloudEventsNames() {
        MessageBus bus = MessageBus.builder("svc").transport("memory:headers-test").produces(OrderPlaced.class).build().start();
        try {
            // refused in the future, never thrown (docs/architecture.md, "Errors")
            for (String bad : List.of("Bad-Name", "correlationid", "waytoolongheadername12345")) {
                CompletionException e = assertThrows(CompletionException.class,
                        () -> bus.publish(new OrderPlaced("1"), Map.of(bad, "x")).join());
                assertInstanceOf(PublishException.class, e.getCause(), bad);
            }
            assertDoesNotThrow(() -> bus.publish(new OrderPlaced("1"), Map.of("tenant", "acme")).join());
        } finally {
            bus.close();
        }
    }

    @Test
    void publishBeforeStartFailsClearly() {
        MessageBus bus = MessageBus.builder("svc").transport("memory:unstarted").produces(OrderPlaced.class).build();
        Exception e = assertThrows(Exception.class, () -> bus.publish(new OrderPlaced("1")).join());
        assertTrue(e.getCause() instanceof PublishException && e.getCause().getMessage().contains("not started"), e.toString());
    }
}
