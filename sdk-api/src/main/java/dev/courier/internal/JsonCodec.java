package dev.courier.internal;

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
 * Jackson, as a tolerant reader: unknown fields are ignored, java.time and Optional are supported,
 * and no type information ever goes on the wire (types come from the message name). Strict where
 * tolerance would hide damage: a body must be exactly one JSON value (trailing tokens fail). Internal.
 */
public final class JsonCodec implements dev.courier.spi.PayloadCodec, dev.courier.spi.PayloadCodec.JsonSchemaHints {
    public static final String CONTENT_TYPE = "application/json";

    private final ObjectMapper mapper;
    private final ConcurrentHashMap<Class<?>, ObjectReader> readers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Class<?>, ObjectWriter> writers = new ConcurrentHashMap<>();

    public JsonCodec(ObjectMapper userMapper) {
        ObjectMapper m = userMapper != null ? userMapper.copy() : new ObjectMapper();
        m.registerModule(new JavaTimeModule());
        m.registerModule(new Jdk8Module());
        m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        m.configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true); // "{...} garbage" is not one JSON value
        m.configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false);
        m.deactivateDefaultTyping();
        this.mapper = m;
    }

    /** The default mapper with Courier's settings, for code that needs the same JSON. */
    public static ObjectMapper defaultMapper() {
        return new JsonCodec(null).mapper;
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

    public ObjectMapper mapper() {
        return mapper;
    }
}
