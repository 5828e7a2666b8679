package dev.courier.spi;

import java.util.Collections;
import java.util.Map;

/**
 * Headers and bytes as they travel, before decoding. The headers are an unmodifiable view: whoever
 * builds a RawMessage hands the map over and must not change it afterwards.
 */
public record RawMessage(Map<String, String> headers, byte[] body) {
    /**
     * Wraps {@code headers} in an unmodifiable view (no copy).
     *
     * @param headers CloudEvents attributes by name; never null, not to be changed afterwards
     * @param body    the encoded payload, not copied
     */
    public RawMessage {
        headers = Collections.unmodifiableMap(headers);
    }
}
