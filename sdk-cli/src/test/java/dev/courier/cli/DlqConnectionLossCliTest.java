package dev.courier.cli;

import dev.courier.Command;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.NonRetryableException;
import dev.courier.PublishException;
import dev.courier.RetryPolicy;
import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Transport;
import dev.courier.testing.ForwardingTransport;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A bulk replay whose connection is lost half-way: the id that failed is named with the reason, the
 * ones after it are "not tried" (no waiting out a timeout per id on a dead connection), it exits 1,
 * and the same command run again replays exactly the rest. The broker is an in-memory one shared
 * with a service bus in this JVM; courier's transport is wrapped to lose its connection on cue.
 */
class DlqConnectionLossCliTest {
    private static final AtomicInteger SEQ = new AtomicInteger();

    @MessageName("v1.clitest.charge")
    public record Charge(int n) implements Command {
    }

    /** Forwards to an in-memory transport; after {@code okPublishes} publishes it acts disconnected. */
    static final class Losing extends ForwardingTransport {
        final AtomicInteger okPublishes;
        final AtomicBoolean lost = new AtomicBoolean();

        Losing(Transport delegate, int okPublishes) {
            super(delegate);
            this.okPublishes = new AtomicInteger(okPublishes);
        }

        @Override
        public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
            if (okPublishes.getAndDecrement() <= 0) {
                lost.set(true);
                return CompletableFuture.failedFuture(new PublishException("connection to the broker lost (test)"));
            }
            return super.publish(to, headers, body);
        }

        @Override
        public boolean isConnected() {
            return !lost.get() && super.isConnected();
        }
    }

    @Test
    void aLostConnectionStopsTheRunNamesWhatWasNotTriedAndTheRerunDoesTheRest() {
        String broker = "memory:cliloss" + SEQ.incrementAndGet();
        AtomicBoolean failing = new AtomicBoolean(true);
        Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
        try (MessageBus billing = MessageBus.builder("billing").transport(broker).retryPolicy(RetryPolicy.none()).concurrency(1)
                .onCommand(Charge.class, (m, ctx) -> {
                    if (failing.get()) {
                        throw new NonRetryableException("declined " + m.n());
                    }
                    handled.computeIfAbsent(ctx.messageId(), k -> new AtomicInteger()).incrementAndGet();
                })
                .build().start()) {
            for (int i = 1; i <= 4; i++) {
                billing.send(new Charge(i), Map.of(Headers.ID, "charge-" + i)).join();
            }
            Await.until(Duration.ofSeconds(10), () -> billing.deadLetters().list(10).size() == 4, () -> "not dead-lettered");
            failing.set(false);

            Cli.Result r = Cli.run(uri -> new Losing(Transports.load(broker), 1),
                    Map.of(), Cli.FakeTerminal.none(), "dlq", "replay", "test://broker", "-s", "billing", "--all", "--yes");
            assertEquals(ExitCodes.FAILED, r.code(), r::toString);
            List<String> lines = r.outLines();
            assertTrue(lines.get(0).startsWith("replayed       charge-1"), r::toString);
            assertTrue(lines.get(1).startsWith("FAILED         charge-2  v1.clitest.charge  (connection to the broker lost (test))"),
                    r::toString);
            assertTrue(lines.get(2).startsWith("not tried      charge-3  v1.clitest.charge  (not tried: the connection to the"
                    + " broker was lost)"), r::toString);
            assertTrue(lines.get(3).startsWith("not tried      charge-4"), r::toString);
            assertTrue(lines.get(4).startsWith("Replayed 1 of 4 dead letters of service 'billing'; 1 failed, 2 not tried."),
                    r::toString);
            Await.until(Duration.ofSeconds(10), () -> handled.containsKey("charge-1"), () -> "charge-1 not handled");
            assertEquals(3, billing.deadLetters().list(10).size());

            Cli.Result again = Cli.run(uri -> Transports.load(broker),
                    Map.of(), Cli.FakeTerminal.none(), "dlq", "replay", "test://broker", "-s", "billing", "--all", "--yes");
            assertEquals(0, again.code(), again::toString);
            assertTrue(again.out().contains("Replayed 3 of 3 dead letters"), again::toString);
            Await.until(Duration.ofSeconds(10), () -> handled.size() == 4, () -> "handled: " + handled);
            Await.stays(Duration.ofMillis(300), () -> handled.values().stream().allMatch(n -> n.get() == 1),
                    () -> "a dead letter was replayed twice: " + handled);
        }
    }
}
