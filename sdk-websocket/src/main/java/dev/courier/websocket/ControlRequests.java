package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.CourierException;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Request and response of control frames (subscribe, unsubscribe, redeliver, dead-letter browse and
 * remove): each request is numbered {@code c<n>} and answered by a confirm (its data) or an error
 * with the same number. A request fails when the hub refuses it, when it is not answered within
 * its timeout, or when its connection drops. Futures complete on the transport's completion threads,
 * never on the connection's read thread. Thread-safe.
 */
final class ControlRequests {
    private record Pending(ClientConnection conn, String type, CompletableFuture<JsonNode> future) {
    }

    private final String hub;
    private final Executor completions;
    private final ScheduledExecutorService scheduler;
    private final AtomicLong seq = new AtomicLong();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();

    ControlRequests(String hub, Executor completions, ScheduledExecutorService scheduler) {
        this.hub = hub;
        this.completions = completions;
        this.scheduler = scheduler;
    }

    /**
     * Sends one control frame on {@code c}.
     *
     * @param c       the connection, or null when there is none (the request fails)
     * @param type    the control frame type ({@link Frames})
     * @param data    its data
     * @param source  the frame's source
     * @param timeout how long the hub may take to answer
     * @return completes with the confirm's data; fails with a {@link CourierException} naming the
     *         hub's error, the timeout or the lost connection
     */
    CompletableFuture<JsonNode> request(ClientConnection c, String type, ObjectNode data, String source,
                                        Duration timeout) {
        if (c == null) {
            return CompletableFuture.failedFuture(new CourierException("not connected to the hub " + hub));
        }
        String s = "c" + seq.incrementAndGet();
        Pending r = new Pending(c, type, new CompletableFuture<>());
        pending.put(s, r);
        if (!c.sendText(Frames.control(type, source, s, data))) {
            pending.remove(s);
            return CompletableFuture.failedFuture(new CourierException("not connected to the hub " + hub));
        }
        try {
            ScheduledFuture<?> t = scheduler.schedule(() -> {
                if (pending.remove(s, r)) {
                    complete(r, null, new CourierException("hub " + hub + " did not answer " + type + " within "
                            + timeout));
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
            r.future.whenComplete((x, e) -> t.cancel(false));
        } catch (RejectedExecutionException e) {
            pending.remove(s);
            return CompletableFuture.failedFuture(new CourierException("the transport to " + hub + " is closed"));
        }
        return r.future;
    }

    /** The hub answered request {@code seq}: with data, or with an error code and message. */
    void onAnswer(String seq, JsonNode data, String code, String message) {
        Pending r = seq == null ? null : pending.remove(seq);
        if (r != null) {
            complete(r, data, code == null ? null : new CourierException("hub refused " + r.type + ": " + code
                    + ": " + message));
        }
    }

    /** Connection {@code c} dropped: its requests fail. */
    void failFor(ClientConnection c, String why) {
        for (Iterator<Map.Entry<String, Pending>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Pending r = it.next().getValue();
            if (c == null || r.conn == c) {
                it.remove();
                complete(r, null, new CourierException(why));
            }
        }
    }

    /**
     * Waits for a request, for a synchronous SPI call.
     *
     * @return the confirm's data
     * @throws CourierException naming {@code what} when it failed, timed out or the wait was interrupted
     */
    static JsonNode await(CompletableFuture<JsonNode> f, String what, Duration timeout) {
        try {
            return f.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while " + what, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new CourierException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CourierException(what + " timed out after " + timeout, e);
        }
    }

    private void complete(Pending r, JsonNode data, Throwable error) {
        Runnable run = () -> {
            if (error == null) {
                r.future.complete(data);
            } else {
                r.future.completeExceptionally(error);
            }
        };
        try {
            completions.execute(run);
        } catch (RejectedExecutionException e) {
            run.run();
        }
    }
}
