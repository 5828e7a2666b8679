package dev.courier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.spi.PayloadCodec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The payload codec SPI: a bus encodes, decodes and labels its messages with the codec it was given. */
class CodecTest {

    @MessageName("v1.codec.noted")
    record Noted(String text) implements Event {
    }

    @MessageName("v1.codec.ask")
    record Ask(int n) implements Command {
    }

    record Answer(int n) {
    }

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private final List<MessageBus> buses = new ArrayList<>();
    private final String broker = "codec-" + UUID.randomUUID();

    /** Jackson 2 underneath, counting, with a content type of its own. */
    static final class CountingCodec implements PayloadCodec {
        final PayloadCodec json = PayloadCodec.jackson(null);
        final AtomicInteger encoded = new AtomicInteger();
        final AtomicInteger decoded = new AtomicInteger();

        @Override
        public String contentType() {
            return "application/vnd.test+json";
        }

        @Override
        public byte[] encode(Object value) {
            encoded.incrementAndGet();
            return json.encode(value);
        }

        @Override
        public <T> T decode(byte[] body, Class<T> type) {
            decoded.incrementAndGet();
            return json.decode(body, type);
        }
    }

    private MessageBus start(MessageBus.Builder b) {
        MessageBus bus = b.build();
        buses.add(bus);
        return bus.start();
    }

    @AfterEach
    void closeAll() {
        buses.forEach(MessageBus::close);
    }

    @Test
    void aBusUsesItsCodecForPayloadsRepliesAndTheContentType() {
        CountingCodec codec = new CountingCodec();
        CompletableFuture<Envelope> got = new CompletableFuture<>();
        start(MessageBus.builder("reader").transport("memory:" + broker).codec(codec)
                .onEvent(Noted.class, (e, ctx) -> got.complete(ctx.envelope()))
                .onCommand(Ask.class, (a, ctx) -> ctx.reply(new Answer(a.n() * 2))));
        MessageBus writer = start(MessageBus.builder("writer").transport("memory:" + broker).codec(codec)
                .produces(Noted.class, Ask.class));
        writer.publish(new Noted("hello")).join();
        Envelope env = got.orTimeout(PATIENCE.toSeconds(), TimeUnit.SECONDS).join();
        assertEquals("application/vnd.test+json", env.header("datacontenttype"));
        assertEquals(4, writer.request(new Ask(2), Answer.class, PATIENCE).join().n());
        assertEquals(3, codec.encoded.get(), "the event, the request, the reply");
        assertEquals(3, codec.decoded.get(), "the event, the request, the reply");
    }

    @Test
    void theDefaultCodecIsJackson2WithCouriersSettings() {
        PayloadCodec json = PayloadCodec.jackson(new ObjectMapper());
        assertEquals("application/json", json.contentType());
        assertEquals("{\"text\":\"x\"}", new String(json.encode(new Noted("x")), StandardCharsets.UTF_8));
        assertEquals(new Noted("x"), json.decode("{\"text\":\"x\",\"added\":1}".getBytes(StandardCharsets.UTF_8), Noted.class),
                "unknown fields are ignored");
        assertThrows(CodecException.class, () -> json.decode("{\"text\":\"x\"} {}".getBytes(StandardCharsets.UTF_8), Noted.class),
                "one value only");
    }

    @Test
    void codecAndObjectMapperTogetherAreABuildError() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> MessageBus.builder("both")
                .transport("memory:" + broker).codec(new CountingCodec()).objectMapper(new ObjectMapper()).build());
        assertTrue(e.getMessage().contains("either codec(...) or objectMapper(...)"), e.getMessage());
    }
}
