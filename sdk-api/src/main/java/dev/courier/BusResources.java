package dev.courier;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a bus builder creates when the user did not bring it: the transport for a URI (found with
 * {@link ServiceLoader}) and the bus's own daemon threads. Internal.
 */
final class BusResources {
    private BusResources() {
    }

    /** A new transport for {@code uri}; an IllegalArgumentException that names the module to add when none fits. */
    public static Transport loadTransport(String uri, ClassLoader loader) {
        URI parsed;
        try {
            // "memory:" alone is not a valid java.net.URI; it means the shared default broker
            parsed = new URI(uri != null && uri.matches("[A-Za-z][A-Za-z0-9+.-]*:") ? uri + "default" : uri);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + redact(uri) + "' is not a valid URI: " + e.getReason());
        }
        if (parsed.getScheme() == null) {
            throw new IllegalArgumentException("'" + redact(uri) + "' has no scheme (memory:, amqp://, mqtt://, ws://)");
        }
        List<String> schemes = new ArrayList<>();
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, loader)) {
            if (p.supports(parsed)) {
                return p.create(parsed);
            }
            schemes.add(p.getClass().getSimpleName());
        }
        throw new IllegalArgumentException("no transport on the class path handles '" + parsed.getScheme()
                + ":' URIs (found: " + schemes + "); add the matching module, e.g. dev.courier:courier-amqp for amqp://");
    }

    /** The URI without its secrets, for messages: the one redactor, {@link dev.courier.spi.support.TransportUri#redact}. */
    public static String redact(String uri) {
        return uri == null ? null : dev.courier.spi.support.TransportUri.redact(uri);
    }

    /** The bus's own handler pool: one thread per concurrency slot of each handler, 2 to 256, daemon. */
    public static ExecutorService handlerPool(String service, int concurrency, int handlers) {
        int threads = Math.max(2, concurrency * Math.max(1, handlers));
        return Executors.newFixedThreadPool(Math.min(threads, 256), threads(service + "-handler"));
    }

    /** The bus's own scheduler for retry backoffs and request timeouts: one daemon thread. */
    public static ScheduledThreadPoolExecutor scheduler(String service) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, threads(service + "-scheduler"));
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "courier-" + prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
