package dev.courier.websocket.hub;

import dev.courier.BusListener;
import dev.courier.Envelope;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts, per service and message type, the messages handled and the handler failures (failed
 * attempts and dead letters) per second over the last {@value #WINDOW} seconds, for the operations
 * page. Bounded: at most {@value #MAX_TYPES} types per service (more are counted as {@code (other)}).
 */
final class OpsTraffic {
    static final int WINDOW = 10;
    static final int MAX_TYPES = 200;
    static final int MAX_SERVICES = 200;

    private final Clock clock;
    private final Map<String, Map<String, Counter>> services = new LinkedHashMap<>();

    OpsTraffic() {
        this(Clock.systemUTC());
    }

    OpsTraffic(Clock clock) {
        this.clock = clock;
    }

    /** A listener recording under {@code service}. */
    BusListener listener(String service) {
        return new BusListener() {
            @Override
            public void handled(Envelope envelope, Duration handlerTime) {
                record(service, envelope == null ? null : envelope.type(), false);
            }

            @Override
            public void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
                record(service, envelope == null ? null : envelope.type(), true);
            }

            @Override
            public void deadLettered(String svc, Envelope envelope, String messageId, String messageType, Throwable error) {
                record(service, messageType, true);
            }
        };
    }

    synchronized void record(String service, String type, boolean failure) {
        Map<String, Counter> types = services.get(service);
        if (types == null) {
            if (services.size() >= MAX_SERVICES) {
                return;
            }
            types = new TreeMap<>();
            services.put(service, types);
        }
        String t = type == null ? "(undecodable)" : type;
        if (!types.containsKey(t) && types.size() >= MAX_TYPES) {
            t = "(other)";
        }
        types.computeIfAbsent(t, k -> new Counter()).add(clock.millis() / 1000, failure);
    }

    /** Per type of {@code service}: handled and failed per second over the window, and totals. */
    synchronized Map<String, long[]> snapshot(String service) {
        long now = clock.millis() / 1000;
        Map<String, long[]> out = new TreeMap<>();
        Map<String, Counter> types = services.get(service);
        if (types != null) {
            types.forEach((t, c) -> out.put(t, c.view(now)));
        }
        return out;
    }

    /** A ring of per-second counts. */
    private static final class Counter {
        private final long[] second = new long[WINDOW + 1];
        private final long[] handled = new long[WINDOW + 1];
        private final long[] failed = new long[WINDOW + 1];
        private long totalHandled;
        private long totalFailed;

        void add(long now, boolean failure) {
            int i = (int) (now % second.length);
            if (second[i] != now) {
                second[i] = now;
                handled[i] = 0;
                failed[i] = 0;
            }
            if (failure) {
                failed[i]++;
                totalFailed++;
            } else {
                handled[i]++;
                totalHandled++;
            }
        }

        /** {handled in the last WINDOW full seconds, failed in them, total handled, total failed, last second's handled}. */
        long[] view(long now) {
            long h = 0;
            long f = 0;
            for (int i = 0; i < second.length; i++) {
                if (second[i] < now && second[i] >= now - WINDOW) {
                    h += handled[i];
                    f += failed[i];
                }
            }
            return new long[] {h, f, totalHandled, totalFailed};
        }
    }
}
