package dev.courier.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.CourierException;

import java.util.Map;

/** Message headers as the outbox stores them: a flat JSON object of strings. Internal. */
final class HeadersJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, String>> MAP = new TypeReference<>() {
    };

    private HeadersJson() {
    }

    static String write(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (JsonProcessingException e) {
            throw new CourierException("could not write message headers as JSON", e);
        }
    }

    static Map<String, String> read(String json) {
        try {
            return JSON.readValue(json, MAP);
        } catch (JsonProcessingException e) {
            throw new CourierException("outbox row has headers that are not a JSON object of strings", e);
        }
    }
}
