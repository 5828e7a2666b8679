package dev.courier.jackson3;

import dev.courier.CodecException;
import dev.courier.Command;
import dev.courier.Envelope;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.spi.PayloadCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Jackson 3 codec: the wire contract's rules, the user's mapper honoured, and Jackson 2 services reading it. */
class Jackson3CodecTest {

    enum Speed {
        EXPRESS, STANDARD;

        @Override
        public String toString() {
            return name().toLowerCase() + " delivery";
        }
    }

    record Line(String sku, int quantity) {
    }

    @MessageName("v1.j3.order.placed")
    record OrderPlaced(String orderId, Speed speed, Instant placedAt, Optional<String> note, List<Line> lines,
                       Duration window) implements Event {
    }

    @MessageName("v1.j3.quote")
    record Quote(String orderId) implements Command {
    }

    record Quoted(String orderId, long cents) {
    }

    private static final OrderPlaced SAMPLE = new OrderPlaced("o-1", Speed.EXPRESS, Instant.parse("2026-11-30T10:15:30Z"),
            Optional.of("ring twice"), List.of(new Line("sku-1", 2)), Duration.ofMinutes(90));
    private static final java.time.Duration PATIENCE = java.time.Duration.ofSeconds(20);
    private final List<MessageBus> buses = new ArrayList<>();

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    @Test
    void jackson2AndJackson3ServicesReadEachOther() {
        PayloadCodec j3 = Jackson3Codec.ofDefaults();
        PayloadCodec j2 = PayloadCodec.jackson(null);
        assertEquals(SAMPLE, j2.decode(j3.encode(SAMPLE), OrderPlaced.class), "Jackson 2 reads what Jackson 3 wrote");
        assertEquals(SAMPLE, j3.decode(j2.encode(SAMPLE), OrderPlaced.class), "Jackson 3 reads what Jackson 2 wrote");
        String json = new String(j3.encode(SAMPLE), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"speed\":\"EXPRESS\""), "enums by name, as Jackson 2 writes them: " + json);
        assertTrue(json.contains("\"placedAt\":\"2026-11-30T10:15:30Z\""), "dates as ISO-8601: " + json);
        assertTrue(json.startsWith("{\"orderId\""), "records in declaration order: " + json);
    }

    @Test
    void theWireContractsRulesHold() {
        PayloadCodec j3 = Jackson3Codec.ofDefaults();
        assertEquals(new Line("a", 1), j3.decode("{\"sku\":\"a\",\"quantity\":1,\"addedLater\":true}"
                .getBytes(StandardCharsets.UTF_8), Line.class), "unknown fields are ignored");
        CodecException trailing = assertThrows(CodecException.class,
                () -> j3.decode("{\"sku\":\"a\",\"quantity\":1} {}".getBytes(StandardCharsets.UTF_8), Line.class));
        assertTrue(trailing.getMessage().contains(Line.class.getName()), trailing.getMessage());
        assertThrows(CodecException.class, () -> j3.decode("{not json".getBytes(StandardCharsets.UTF_8), Line.class));
        assertEquals("application/json", j3.contentType());
    }

    @Test
    void theUsersMapperIsHonouredAndLeftAsItWas() {
        JsonMapper users = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS).build();
        Jackson3Codec codec = Jackson3Codec.of(users);
        String json = new String(codec.encode(SAMPLE), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"order_id\":\"o-1\"") && json.contains("\"placed_at\""), "the user's naming: " + json);
        assertTrue(codec.writesDurationsAsNumbers(), "the AsyncAPI generator is told how durations are written");
        assertFalse(Jackson3Codec.ofDefaults().writesDurationsAsNumbers(), "Jackson 3 writes ISO-8601 durations by default");
        assertTrue(users.isEnabled(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                == JsonMapper.builder().build().isEnabled(tools.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES),
                "the user's mapper itself is not changed");
    }

    @Test
    void aJackson3BusAndAJackson2BusTalk() {
        String broker = "memory:j3-" + UUID.randomUUID();
        CompletableFuture<OrderPlaced> got = new CompletableFuture<>();
        CompletableFuture<Envelope> env = new CompletableFuture<>();
        MessageBus j3 = MessageBus.builder("modern").transport(broker).codec(Jackson3Codec.ofDefaults())
                .produces(OrderPlaced.class, Quote.class)
                .onCommand(Quote.class, (q, ctx) -> ctx.reply(new Quoted(q.orderId(), 1299))).build().start();
        buses.add(j3);
        MessageBus j2 = MessageBus.builder("legacy").transport(broker).produces(Quote.class)
                .onEvent(OrderPlaced.class, (e, ctx) -> {
                    env.complete(ctx.envelope());
                    got.complete(e);
                }).build().start();
        buses.add(j2);
        j3.publish(SAMPLE).join();
        assertEquals(SAMPLE, got.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join());
        assertEquals("application/json", env.join().header("datacontenttype"));
        assertEquals(new Quoted("o-1", 1299), j2.request(new Quote("o-1"), Quoted.class, PATIENCE).join(),
                "a Jackson 2 requester reads the Jackson 3 reply");
    }
}
