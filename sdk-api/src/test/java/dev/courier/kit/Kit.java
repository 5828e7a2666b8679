package dev.courier.kit;

import dev.courier.spi.Headers;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Small helpers the kit's cases share. */
public final class Kit {
    private Kit() {
    }

    /** The CloudEvents headers of a crafted message of {@code type} with {@code id}. */
    public static Map<String, String> headersFor(String type, String id) {
        Map<String, String> h = new HashMap<>();
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, "kit");
        h.put(Headers.TYPE, type);
        h.put(Headers.SPECVERSION, "1.0");
        h.put(Headers.DATACONTENTTYPE, "application/json");
        h.put(Headers.TIME, java.time.Instant.now().toString());
        return h;
    }

    /** UTF-8 bytes of {@code s}. */
    public static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The future's value, or an AssertionError when it fails or does not complete within {@code patience}. */
    public static <T> T join(CompletableFuture<T> f, Duration patience) {
        try {
            return f.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("future did not complete normally within " + patience + ": " + e, e);
        }
    }

    /** The failure of {@code f} (unwrapped), or an AssertionError when it completes normally or not in time. */
    public static Throwable failure(CompletableFuture<?> f, Duration patience) {
        try {
            f.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("future did not fail within " + patience + ": " + e, e);
        }
        throw new AssertionError("future completed normally; a failure was expected");
    }
}
