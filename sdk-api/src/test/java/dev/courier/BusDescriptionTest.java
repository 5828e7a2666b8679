package dev.courier;

import dev.courier.kit.Await;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.JsonPayloadCodec;
import dev.courier.spi.Limits;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two public seams Courier's own modules use instead of the engine: BusDescription and PreparedMessage. */
class BusDescriptionTest {

    @MessageName("v1.seam.happened")
    record Happened(int n) implements Event {
    }

    @MessageName("v1.seam.do")
    record Do(int n) implements Command {
    }

    @MessageName("v1.seam.noted")
    record Noted(int n) implements Event {
    }

    private final String broker = "seam-" + UUID.randomUUID();

    @Test
    void describesTheServiceItsMessagesAndItsTransportWithoutStartingIt() {
        try (MessageBus bus = MessageBus.builder("seam").instanceId("i1").transport("memory:" + broker)
                .onEvent(Happened.class, (e, ctx) -> { })
                .onCommand(Do.class, (c, ctx) -> { })
                .produces(Noted.class, Do.class).build()) {
            BusDescription d = bus.description();
            assertEquals("seam", d.service());
            assertEquals("i1", d.instanceId());
            assertEquals(List.of(new BusDescription.Message("v1.seam.happened", Happened.class, MessageKind.EVENT),
                    new BusDescription.Message("v1.seam.do", Do.class, MessageKind.COMMAND)), d.handles());
            assertEquals(List.of("v1.seam.noted", "v1.seam.do"), d.produces().stream().map(BusDescription.Message::name).toList());
            assertEquals(MessageKind.COMMAND, d.message(Do.class).orElseThrow().kind());
            assertTrue(d.message(String.class).isEmpty());
            assertEquals(Address.event("v1.seam.happened"), d.handles().get(0).address());
            assertEquals("memory", d.protocol());
            assertTrue(d.host().isEmpty(), "the memory broker has no host");
            assertEquals(Limits.DEFAULTS, d.limits());
            assertInstanceOf(JsonPayloadCodec.class, d.codec());
            assertTrue(d.wireAddress(Address.command("v1.seam.do"), "seam").containsKey("address"));
            assertTrue(d.transport().startsWith("memory"), d.transport());
        }
    }

    @Test
    void aPreparedMessageIsStoredThenSentAsItIs() {
        List<Envelope> got = new CopyOnWriteArrayList<>();
        MessageBus sink = MessageBus.builder("sink").transport("memory:" + broker)
                .onEvent(Noted.class, (e, ctx) -> got.add(ctx.envelope())).start();
        MessageBus bus = MessageBus.builder("seam").transport("memory:" + broker).produces(Noted.class).start();
        try {
            List<PreparedMessage> table = new ArrayList<>();
            String id = bus.prepareForOutbox(new Noted(7), Map.of("tenant", "acme"), p -> {
                table.add(p);
                return p.id();
            });
            PreparedMessage stored = table.get(0);
            assertEquals(id, stored.id());
            assertEquals("v1.seam.noted", stored.type());
            assertEquals("acme", stored.headers().get("tenant"));
            assertThrows(UnsupportedOperationException.class, () -> stored.headers().put("x", "y"));
            PreparedMessage restored = PreparedMessage.of(stored.to(), Map.copyOf(stored.headers()), stored.body().clone());
            bus.sendPrepared(restored).join();
            bus.sendPrepared(restored).join(); // sent twice, the same id: the receiver's dedup makes it once
            Await.until(Duration.ofSeconds(20), () -> !got.isEmpty(), () -> "the stored message arrives");
            assertEquals(id, got.get(0).id());
            assertEquals(id, got.get(0).header(Headers.ID));
            assertArrayEquals(stored.body(), restored.body());
            assertNotEquals(null, got.get(0).header("tenant"));
            LimitExceededException e = assertThrows(LimitExceededException.class,
                    () -> bus.prepareForOutbox(new Noted(1), Map.of("big", "x".repeat(2 * 1024 * 1024)), p -> {
                        throw new AssertionError("not stored");
                    }));
            assertEquals("maxHeaderValueBytes", e.limit());
        } finally {
            bus.close();
            sink.close();
        }
    }
}
