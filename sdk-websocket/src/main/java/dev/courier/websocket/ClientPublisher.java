package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import dev.courier.UnroutableException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.support.ConfirmTracker;
import dev.courier.spi.support.PublishGate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishing to the hub: one message frame per publish, numbered {@code p<n>}, and the hub's confirm
 * or error for that number. The window, the deadlines and the resend after a reconnect are the
 * support package's ({@link PublishGate}, {@link ConfirmTracker}); what stays here is WebSocket's
 * own: encoding the frame, the hub's frame limit, its error codes, and its rate limit — a publish the
 * hub refused as {@code rate_limited} is kept and sent again one per rate interval, in publish
 * order, until its publish timeout. Thread-safe.
 */
final class ClientPublisher implements AutoCloseable {
    /** A frame to send and its sequence number. */
    private record Outgoing(long seq, String text) {
    }

    private final HubLink link;
    private final ScheduledExecutorService scheduler;
    private final PublishGate gate;
    private final ConfirmTracker<Outgoing> tracker;
    private final AtomicLong seq = new AtomicLong();
    /** Publishes the hub refused as rate_limited, sent again one per rate interval in publish order. */
    private final ConcurrentSkipListSet<Long> rateWaiting = new ConcurrentSkipListSet<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();

    ClientPublisher(String hub, HubLink link, int maxInFlight, Executor completions, ScheduledExecutorService scheduler) {
        this.link = link;
        this.scheduler = scheduler;
        this.gate = new PublishGate(maxInFlight);
        this.tracker = new ConfirmTracker<>(hub, gate, completions, scheduler, System::nanoTime);
    }

    /** @return the publish window */
    PublishGate window() {
        return gate;
    }

    /**
     * Publishes one message: waits for room in the window up to {@code timeout} (blocking the caller),
     * then sends the frame, or keeps it until the connection is back.
     *
     * @return completes on the hub's confirm; fails with {@link PublishTimeoutException} (no room, or
     *         no confirm within {@code timeout}), {@link UnroutableException}, or {@link PublishException};
     *         completes on the transport's completion threads
     */
    CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body, Duration timeout) {
        for (String k : headers.keySet()) {
            if (k.startsWith(Frames.FRAME_PREFIX) || k.equals("data") || k.equals("data_base64")) {
                return CompletableFuture.failedFuture(new PublishException("header '" + k
                        + "' is reserved by the WebSocket binding (courierws*, data, data_base64)"));
            }
        }
        long n = seq.incrementAndGet();
        Map<String, String> fa = new LinkedHashMap<>(4);
        fa.put(Frames.TO, to.toString());
        fa.put(Frames.SEQ, "p" + n);
        String text;
        try {
            text = Frames.message(headers, body, fa);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new PublishException("cannot encode the message to " + to + ": " + e, e));
        }
        int limit = link.hub().maxMessageBytes();
        if ((long) text.length() * 3 > limit && text.getBytes(StandardCharsets.UTF_8).length > limit) {
            return CompletableFuture.failedFuture(new PublishException("message to " + to + " is larger than the hub's"
                    + " limit of " + limit + " bytes"));
        }
        ConfirmTracker.Pending<Outgoing> p = tracker.open(new Outgoing(n, text), to + " id " + headers.get(Headers.ID),
                timeout);
        if (!p.isDone()) {
            if (tracker.hasParked()) {
                park(p, null); // behind the publishes waiting for a connection, in publish order
            } else {
                send(p, link.live());
            }
        }
        return p.future();
    }

    private void send(ConfirmTracker.Pending<Outgoing> p, ClientConnection c) {
        if (c == null) {
            park(p, null);
            return;
        }
        long n = p.message().seq();
        tracker.sent(n, p);
        if (!rateWaiting.isEmpty()) {
            rateWaiting.add(n); // behind the publishes waiting for the rate limit, in order
            scheduleDrain();
        } else if (!c.sendText(p.message().text()) && tracker.unsent(n) != null) {
            park(p, c);
        }
    }

    /** Keeps a publish until a connection is up; if one came up meanwhile, sends what waits on it. */
    private void park(ConfirmTracker.Pending<Outgoing> p, ClientConnection failedOn) {
        tracker.park(p);
        ClientConnection c = link.live();
        if (c != null && c != failedOn) {
            resume(c);
        }
    }

    /**
     * A connection is up: sends again, on {@code c}, every publish kept while none was, in publish
     * order (one resume at a time).
     */
    synchronized void resume(ClientConnection c) {
        for (ConfirmTracker.Pending<Outgoing> p : tracker.resume()) {
            send(p, c);
        }
    }

    /** The connection dropped: every unconfirmed publish waits for the next one. */
    void lost() {
        rateWaiting.clear();
        tracker.parkAll();
    }

    void onConfirm(String seqText) {
        Long n = number(seqText);
        if (n != null) {
            tracker.confirm(n);
        }
    }

    void onError(String seqText, String code, String message) {
        Long n = number(seqText);
        if (n == null) {
            return;
        }
        if ("rate_limited".equals(code)) {
            ConfirmTracker.Pending<Outgoing> p = tracker.get(n);
            if (p != null) {
                p.note("held back by the hub's rate limit of " + link.hub().messagesPerSecond() + " messages/s");
                rateWaiting.add(n);
                scheduleDrain();
            }
            return;
        }
        String text = "hub refused the message: " + code + ": " + message;
        tracker.fail(n, switch (String.valueOf(code)) {
            case "unroutable" -> new UnroutableException(text);
            case "full" -> new PublishTimeoutException(text);
            default -> new PublishException(text);
        });
    }

    private static Long number(String seqText) {
        try {
            return Long.parseLong(seqText.substring(1));
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            long interval = Math.max(1, (long) Math.ceil(1000 / Math.max(0.001, link.hub().messagesPerSecond())));
            try {
                scheduler.schedule(this::drain, interval, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                drainScheduled.set(false); // closing
            }
        }
    }

    private void drain() {
        drainScheduled.set(false);
        ClientConnection c = link.live();
        if (c == null) {
            return; // the next connection sends every waiting publish again
        }
        Long n;
        ConfirmTracker.Pending<Outgoing> p = null;
        while (p == null && (n = rateWaiting.pollFirst()) != null) {
            p = tracker.get(n); // null: confirmed or timed out meanwhile
        }
        if (p != null) {
            c.sendText(p.message().text());
        }
        if (!rateWaiting.isEmpty()) {
            scheduleDrain();
        }
    }

    /**
     * Waits, at most until {@code deadlineNanos}, for the confirms of what was sent.
     *
     * @param deadlineNanos when to stop waiting ({@link System#nanoTime()})
     */
    void awaitConfirms(long deadlineNanos) {
        CompletableFuture<?>[] all = tracker.inFlight().stream().map(ConfirmTracker.Pending::future)
                .toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(all).get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
            // failed or still waiting: close fails what is left
        }
    }

    /** Fails every waiting publish ("the transport closed") and stops the deadline sweep. */
    @Override
    public void close() {
        rateWaiting.clear();
        tracker.close();
    }
}
