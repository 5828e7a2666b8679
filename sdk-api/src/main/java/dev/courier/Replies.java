package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Requests waiting for replies, matched by the request's own id (the reply's causation id), never
 * by correlation id. Replies are completed on a dedicated thread, never a handler thread, so a
 * handler may join a request's future without deadlocking the bus. Each entry is removed by its
 * reply or its timeout, so the map is bounded by the requests in flight. Internal.
 */
final class Replies {
    private final BusCore core;
    private final Map<String, Pending<?>> pending = new ConcurrentHashMap<>();
    private final ExecutorService completions;

    private static final class Pending<R> {
        final String type;
        final Class<R> replyType;
        final CompletableFuture<R> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timer;

        Pending(String type, Class<R> replyType) {
            this.type = type;
            this.replyType = replyType;
        }
    }

    Replies(BusCore core) {
        this.core = core;
        String name = "courier-" + core.settings().service() + "-replies";
        this.completions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    <R> CompletableFuture<R> register(String id, String type, Class<R> replyType, Duration timeout) {
        Pending<R> p = new Pending<>(type, replyType);
        pending.put(id, p);
        p.timer = core.settings().scheduler().schedule(() -> {
            if (pending.remove(id, p)) {
                completions.execute(() -> p.future.completeExceptionally(
                        new RequestTimeoutException("no reply to " + type + " " + id + " within " + timeout)));
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return p.future;
    }

    void fail(String id, Throwable error) {
        Pending<?> p = pending.remove(id);
        if (p != null) {
            p.timer.cancel(false);
            completions.execute(() -> p.future.completeExceptionally(error));
        }
    }

    /** The transport lost this instance's reply address: no reply in flight can arrive any more. */
    void lost(String reason) {
        for (Map.Entry<String, Pending<?>> e : pending.entrySet()) {
            Pending<?> p = e.getValue();
            fail(e.getKey(), new dev.courier.ReplyLostException("the reply to " + p.type + " " + e.getKey()
                    + " can no longer arrive: " + reason + "; the request may or may not have been handled"));
        }
    }

    void failAll(CourierException error) {
        for (String id : pending.keySet()) {
            fail(id, error);
        }
        completions.shutdown();
    }

    /** A reply arrived on this instance's reply address. Always acked: a reply is never retried. */
    void onDelivery(Delivery d) {
        try {
            Map<String, String> h = d.headers();
            String requestId = h.get(Headers.CAUSATION_ID);
            Pending<?> p = requestId == null ? null : pending.remove(requestId);
            if (p == null) {
                core.log().debug("late or unknown reply {} (type {}, for request {}) dropped: nobody waits for it",
                        h.get(Headers.ID), h.get(Headers.TYPE), requestId);
                return;
            }
            p.timer.cancel(false);
            complete(p, h, d.body());
        } finally {
            d.ack();
        }
    }

    private <R> void complete(Pending<R> p, Map<String, String> h, byte[] body) {
        completions.execute(() -> {
            if ("error".equals(h.get(Headers.REPLY_STATUS))) {
                String errorType = h.get(Headers.DL_ERROR_TYPE);
                p.future.completeExceptionally(new RemoteHandlerException("the handler of " + p.type + " "
                        + h.get(Headers.CAUSATION_ID) + " in service '" + h.get(Headers.SOURCE) + "' failed and the"
                        + " request was dead-lettered: " + errorType + ": " + h.get(Headers.DL_ERROR_MESSAGE), errorType));
                return;
            }
            try {
                p.future.complete(core.codec().decode(body, p.replyType));
            } catch (RuntimeException e) {
                p.future.completeExceptionally(e);
            }
        });
    }

}
