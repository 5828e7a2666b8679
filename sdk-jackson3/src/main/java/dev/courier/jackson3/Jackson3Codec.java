package dev.courier.jackson3;

import dev.courier.CodecException;
import dev.courier.spi.PayloadCodec;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.cfg.EnumFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link PayloadCodec} over Jackson 3 ({@code tools.jackson}), for a service that already has a
 * configured Jackson 3 mapper (Spring Boot 4, for one) and should not carry Jackson 2's as well for
 * its payloads:
 *
 * <pre>{@code
 * MessageBus bus = MessageBus.builder("ordering").codec(Jackson3Codec.of(jsonMapper))...build();
 * }</pre>
 *
 * <p>Your mapper is not changed: the codec works on {@code mapper.rebuild()} with what the wire
 * contract needs put back on top — unknown fields ignored (a producer may add fields), trailing
 * tokens refused (a body is one value), and enums read and written by {@code name()} as Jackson 2
 * does (Jackson 3's default is {@code toString()}), so Jackson 2 and Jackson 3 services read each
 * other. Everything else — naming strategy, modules, inclusion, how a {@code Duration} is written —
 * is yours; the AsyncAPI generator is told how durations are written ({@link JsonSchemaHints}).
 * Dates are ISO-8601 strings by Jackson 3's default, like Courier's Jackson 2 codec. Java records
 * come out in declaration order (Jackson 3 otherwise sorts properties alphabetically). Thread safe.
 */
public final class Jackson3Codec implements PayloadCodec, PayloadCodec.JsonSchemaHints {
    /** The CloudEvents {@code datacontenttype} of what this codec writes. */
    public static final String CONTENT_TYPE = "application/json";

    private final JsonMapper mapper;
    private final ConcurrentHashMap<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Class<?>, ObjectWriter> writers = new ConcurrentHashMap<>();

    private Jackson3Codec(JsonMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * A codec over a variant of {@code mapper} with the wire contract's settings (see the class comment).
     *
     * @param mapper your configured Jackson 3 mapper (left unchanged)
     * @return the codec
     */
    public static Jackson3Codec of(JsonMapper mapper) {
        if (mapper == null) {
            throw new IllegalArgumentException("mapper must not be null (use Jackson3Codec.ofDefaults())");
        }
        return new Jackson3Codec(couriers(mapper.rebuild()));
    }

    /**
     * A codec over Jackson 3's default mapper with the wire contract's settings.
     *
     * @return the codec
     */
    public static Jackson3Codec ofDefaults() {
        return new Jackson3Codec(couriers(JsonMapper.builder()));
    }

    private static JsonMapper couriers(JsonMapper.Builder b) {
        return b.disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(EnumFeature.READ_ENUMS_USING_TO_STRING)
                .disable(EnumFeature.WRITE_ENUMS_USING_TO_STRING)
                .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .build();
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return writers.computeIfAbsent(value.getClass(), mapper::writerFor).writeValueAsBytes(value);
        } catch (RuntimeException e) {
            throw new CodecException("cannot encode " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] body, Class<T> type) {
        try {
            return readers.computeIfAbsent(type, mapper::readerFor).readValue(body);
        } catch (RuntimeException e) {
            throw new CodecException("cannot decode " + type.getName() + " from JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean writesDurationsAsNumbers() {
        return mapper.isEnabled(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    }

    /**
     * The mapper this codec uses.
     *
     * @return a variant of yours with the wire contract's settings
     */
    public JsonMapper mapper() {
        return mapper;
    }
}
