package dev.courier.spi;

import java.util.Map;

/** Headers and bytes as they travel, before decoding. */
public record RawMessage(Map<String, String> headers, byte[] body) {
    public RawMessage {
        headers = Map.copyOf(headers);
    }
}
