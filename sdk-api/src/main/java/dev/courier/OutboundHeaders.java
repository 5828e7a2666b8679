package dev.courier;

import dev.courier.spi.Headers;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.Map;
import java.util.Set;

/**
 * The headers of an outgoing message as outbound interceptors see them: changes go to the real
 * map, except to Courier's and CloudEvents' own names (and invalid names), which are refused.
 * Internal.
 */
final class OutboundHeaders extends AbstractMap<String, String> {
    private final Map<String, String> target;

    OutboundHeaders(Map<String, String> target) {
        this.target = target;
    }

    @Override
    public String put(String key, String value) {
        allowed(key);
        if (value == null) {
            throw new PublishException("header '" + key + "' must not be null");
        }
        return target.put(key, value);
    }

    @Override
    public String remove(Object key) {
        if (key instanceof String k) {
            allowed(k);
        }
        return target.remove(key);
    }

    @Override
    public String get(Object key) {
        return target.get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return target.containsKey(key);
    }

    @Override
    public int size() {
        return target.size();
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        return Collections.unmodifiableMap(target).entrySet();
    }

    private static void allowed(String key) {
        if (!Headers.isValidName(key)) {
            throw new PublishException("header name '" + key + "' is not a valid CloudEvents attribute name:"
                    + " use lower-case a-z and 0-9 only, at most 20 characters");
        }
        if (Headers.RESERVED.contains(key)) {
            throw new PublishException("header '" + key + "' is set by Courier and cannot be changed by an"
                    + " interceptor");
        }
    }
}
