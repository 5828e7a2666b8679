package dev.courier.spi;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.courier.CodecException;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Courier's default payload codec: Jackson 2, as a tolerant reader. Unknown fields are ignored,
 * java.time and Optional are supported, and no type information ever goes on the wire (types come
 * from the message name). Strict where tolerance would hide damage: a body must be exactly one JSON
 * value (trailing tokens fail). Dates are ISO-8601 strings.
 *
 * <p>{@link PayloadCodec#jackson(ObjectMapper)} makes one; use this class directly when you need the
 * same JSON as the bus outside it ({@link #defaultMapper()}, e.g. to size or inspect a payload).
 * Thread safe; {@link #encode} and {@link #decode} run on the calling thread.
 */
public final class JsonPayloadCodec implements PayloadCodec, PayloadCodec.JsonSchemaHints {
    /** What this codec writes: {@value}. */
    public static final String CONTENT_TYPE = "application/json";

    private final ObjectMapper mapper;
    private final ConcurrentHashMap<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Class<?>, ObjectWriter> writers = new ConcurrentHashMap<>();

    /**
     * A codec over a copy of {@code userMapper} with Courier's settings added.
     *
     * @param userMapper your Jackson 2 mapper (copied, never changed), or null for a new one
     */
    public JsonPayloadCodec(ObjectMapper userMapper) {
        ObjectMapper m = userMapper != null ? userMapper.copy() : new ObjectMapper();
        m.registerModule(new JavaTimeModule());
        m.registerModule(new Jdk8Module());
        m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        m.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true); // "{...} garbage" is not one JSON value
        m.configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
        m.deactivateDefaultTyping();
        this.mapper = m;
    }

    /**
     * A new mapper with Courier's default settings, for code that needs the same JSON as the bus.
     *
     * @return a fresh mapper; yours to change
     */
    public static ObjectMapper defaultMapper() {
        return new JsonPayloadCodec(null).mapper;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return writers.computeIfAbsent(value.getClass(), mapper::writerFor).writeValueAsBytes(value);
        } catch (Exception e) {
            throw new CodecException("cannot encode " + value.getClass().getName() + " as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] body, Class<T> type) {
        try {
            return readers.computeIfAbsent(type, mapper::readerFor).readValue(body);
        } catch (Exception e) {
            throw new CodecException("cannot decode " + type.getName() + " from JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean writesDurationsAsNumbers() {
        return mapper.isEnabled(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);
    }

    /**
     * The mapper this codec writes with, as a copy (changing it does not change the codec).
     *
     * @return a copy of the codec's mapper, with Courier's settings
     */
    public ObjectMapper mapper() {
        return mapper.copy();
    }
}
