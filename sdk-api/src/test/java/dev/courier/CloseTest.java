package dev.courier;

import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;
import dev.courier.testing.ForwardingTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** close(): bounded by closeTimeout, cuts off (interrupts) handlers that overrun it, and says closed afterwards. */
class CloseTest {

    @MessageName("v1.close.happened")
    record Happened(int n) implements Event {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final String brokerName = "close-" + UUID.randomUUID();
    private final InMemoryBroker broker = InMemoryBroker.named(brokerName);
    private final List<MessageBus> buses = new ArrayList<>();
    private final CountDownLatch never = new CountDownLatch(1);

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    @AfterEach
    void closeAll() {
        never.countDown();
        buses.forEach(MessageBus::close);
    }

    private void publishOneAndWaitUntilTaken(AtomicBoolean running) {
        start(MessageBus.builder("pub").transport(broker.connect()).produces(Happened.class)).publish(new Happened(1)).join();
        Await.until(PATIENCE, running::get, () -> "the handler should be running");
    }

    @Test
    void closeReturnsWithinItsTimeoutWhenAHandlerOverruns() {
        AtomicBoolean running = new AtomicBoolean();
        Duration closeTimeout = Duration.ofMillis(500);
        MessageBus svc = start(MessageBus.builder("stuck").transport(broker.connect()).closeTimeout(closeTimeout)
                .onEvent(Happened.class, (e, ctx) -> {
                    running.set(true);
                    while (never.getCount() > 0) { // ignores interrupts: the worst case for close()
                        try {
                            never.await();
                        } catch (InterruptedException ignored) {
                            // keep going
                        }
                    }
                }));
        publishOneAndWaitUntilTaken(running);
        long t0 = System.nanoTime();
        svc.close();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(tookMillis >= closeTimeout.toMillis(), "close() waits for the handler up to closeTimeout: " + tookMillis + " ms");
        assertTrue(tookMillis < closeTimeout.toMillis() + 300, "close() must return at closeTimeout (" + closeTimeout
                + "), not later: took " + tookMillis + " ms");
    }

    @Test
    void aHandlerCutOffByTheTimeoutIsInterruptedAndItsMessageGoesBack() {
        AtomicBoolean running = new AtomicBoolean();
        CountDownLatch interrupted = new CountDownLatch(1);
        MessageBus svc = start(MessageBus.builder("cutoff").transport(broker.connect()).closeTimeout(Duration.ofMillis(200))
                .onEvent(Happened.class, (e, ctx) -> {
                    running.set(true);
                    try {
                        never.await();
                    } catch (InterruptedException ie) {
                        interrupted.countDown();
                        throw ie;
                    }
                }));
        publishOneAndWaitUntilTaken(running);
        svc.close();
        Await.until(PATIENCE, () -> interrupted.getCount() == 0,
                () -> "the handler still running at closeTimeout should be interrupted");
        Await.until(PATIENCE, () -> broker.depth(Address.event("v1.close.happened"), "cutoff") == 1,
                () -> "the cut-off message is not acked: it is back in the queue for another instance");
    }

    @Test
    void healthAfterCloseSaysClosed() {
        // like AMQP, whose describe() says "(reconnecting)" whenever it is not connected
        ForwardingTransport t = new ForwardingTransport(broker.connect()) {
            @Override
            public String describe() {
                return "memory:" + brokerName + (isConnected() ? " (connected)" : " (reconnecting)");
            }
        };
        MessageBus svc = start(MessageBus.builder("healthy").transport(t).onEvent(Happened.class, (e, ctx) -> { }));
        assertTrue(svc.health().isHealthy(), svc.health().toString());
        svc.close();
        Health h = svc.health();
        assertFalse(h.isHealthy(), h.toString());
        assertFalse(h.transport().contains("reconnecting"), "a closed bus is not reconnecting: " + h);
        assertTrue(h.transport().contains("closed"), "health says closed: " + h);
    }
}
