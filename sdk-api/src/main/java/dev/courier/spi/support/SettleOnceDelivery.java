package dev.courier.spi.support;

import dev.courier.spi.Address;
import dev.courier.spi.DelayedRedelivery;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.StaleDeliveryException;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The one settle-once {@link Delivery} every transport extends. The first of {@link #ack},
 * {@link #reject} or {@link #redeliverLater} claims the delivery with one compare-and-set before
 * anything is sent; every later call sends nothing and returns a completed future (double settle).
 * A {@code redeliverLater} that fails while the delivery is still current gives the claim back, so
 * the caller may still settle it otherwise. A delivery whose connection is gone ({@link #isStale()})
 * sends nothing: the settle fails with {@link StaleDeliveryException} and the broker delivers the
 * message again. {@link #settled()} runs exactly once, when the delivery is finally settled or found
 * stale (a transport frees its prefetch slot there).
 *
 * <p>A subclass says how to send each settle ({@link #sendAck}, {@link #sendReject},
 * {@link #sendRedeliverLater}) and when it is stale; it may return {@link #stale(String)} from a send
 * that finds the connection closed under it.
 */
public abstract class SettleOnceDelivery implements Delivery, DelayedRedelivery {
    private static final int OPEN = 0;
    private static final int SETTLING = 1;
    private static final int SETTLED = 2;
    private static final int GIVEN_BACK = 3;

    private final Address address;
    private final String group;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean redelivered;
    // a field with an updater, not an AtomicInteger: one object less per delivery
    private static final AtomicIntegerFieldUpdater<SettleOnceDelivery> STATE =
            AtomicIntegerFieldUpdater.newUpdater(SettleOnceDelivery.class, "state");
    private volatile int state; // OPEN (0) at first; read and written through STATE

    /**
     * @param address     where the message came from
     * @param group       the consumer group it was delivered to
     * @param headers     its headers, not copied: pass a map nobody changes
     * @param body        its body, not copied
     * @param redelivered whether the broker says it delivered it before
     */
    protected SettleOnceDelivery(Address address, String group, Map<String, String> headers, byte[] body,
                                 boolean redelivered) {
        this.address = address;
        this.group = group;
        this.headers = headers;
        this.body = body;
        this.redelivered = redelivered;
    }

    @Override
    public final Address address() {
        return address;
    }

    @Override
    public final String group() {
        return group;
    }

    @Override
    public final Map<String, String> headers() {
        return headers;
    }

    @Override
    public final byte[] body() {
        return body;
    }

    @Override
    public final boolean redelivered() {
        return redelivered;
    }

    /** @return whether the connection this delivery came on is gone (closed or replaced) */
    protected abstract boolean isStale();

    /** @return why it is stale, e.g. "its channel closed (connection lost or transport closed)" */
    protected abstract String staleReason();

    /**
     * Sends the ack. Called at most once, after the claim, when not stale.
     *
     * @return completes when sent (or confirmed, where the protocol confirms settles)
     */
    protected abstract CompletableFuture<Void> sendAck();

    /**
     * Sends the reject. Called at most once, after the claim, when not stale.
     *
     * @param requeue whether the broker should deliver it again
     * @return completes when sent
     */
    protected abstract CompletableFuture<Void> sendReject(boolean requeue);

    /**
     * Sends the message back with new headers, to arrive again after {@code delay}, and settles this
     * delivery once the broker took the copy. Called after the claim, when not stale; may be called
     * again after a failure gave the claim back.
     *
     * @param headers the headers of the copy
     * @param delay   how long until it comes back
     * @return completes when the copy is safe and this delivery settled; fails when nothing was settled
     */
    protected abstract CompletableFuture<Void> sendRedeliverLater(Map<String, String> headers, Duration delay);

    /** Runs once when the delivery is settled or found stale (free a prefetch slot here). */
    protected void settled() {
    }

    /**
     * The failure of a settle on a stale delivery.
     *
     * @param what the settle, e.g. "ack"
     * @return a future failed with {@link StaleDeliveryException}
     */
    protected final CompletableFuture<Void> stale(String what) {
        return CompletableFuture.failedFuture(new StaleDeliveryException("cannot " + what + " message "
                + headers.get(Headers.ID) + " from " + address + ": the delivery is stale, " + staleReason()
                + "; nothing was sent and the broker delivers it again"));
    }

    /**
     * The transport gives the message back itself (its subscription or connection is closing and the
     * message returns to the broker's queue): claims the delivery like a settle, runs
     * {@link #settled()}, and from now on every settle fails with {@link StaleDeliveryException}.
     *
     * @return true when this call claimed the delivery (the caller then puts the message back); false
     *         when it was already settled or given back
     */
    protected final boolean giveBack() {
        if (STATE.compareAndSet(this, OPEN, GIVEN_BACK)) {
            settled();
            return true;
        }
        return false;
    }

    /** @return whether a settle of this delivery was claimed (finished or in progress) */
    public final boolean isSettled() {
        return STATE.get(this) != OPEN;
    }

    @Override
    public final CompletableFuture<Void> ack() {
        return settle("ack", this::sendAck);
    }

    @Override
    public final CompletableFuture<Void> reject(boolean requeue) {
        return settle(requeue ? "reject(requeue)" : "reject", () -> sendReject(requeue));
    }

    private CompletableFuture<Void> settle(String what, java.util.function.Supplier<CompletableFuture<Void>> send) {
        if (!STATE.compareAndSet(this, OPEN, SETTLING)) {
            return STATE.get(this) == GIVEN_BACK ? stale(what) : CompletableFuture.completedFuture(null);
        }
        if (isStale()) {
            done();
            return stale(what);
        }
        CompletableFuture<Void> f = call(send);
        if (f.isDone() && !f.isCompletedExceptionally()) { // sent at once (an in-process ack): no stage to add
            try {
                done();
            } catch (Throwable t) {
                return CompletableFuture.failedFuture(t instanceof CompletionException ? t : new CompletionException(t));
            }
            return f;
        }
        return f.whenComplete((x, e) -> done());
    }

    @Override
    public final CompletableFuture<Void> redeliverLater(Map<String, String> newHeaders, Duration delay) {
        if (!STATE.compareAndSet(this, OPEN, SETTLING)) {
            return STATE.get(this) == GIVEN_BACK ? stale("redeliverLater") : CompletableFuture.completedFuture(null);
        }
        if (isStale()) {
            done();
            return stale("redeliverLater");
        }
        return call(() -> sendRedeliverLater(newHeaders, delay)).whenComplete((x, e) -> {
            Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c != null && !(c instanceof StaleDeliveryException) && !isStale()) {
                STATE.set(this, OPEN); // nothing was settled: the claim goes back, the caller may settle otherwise
            } else {
                done();
            }
        });
    }

    private static CompletableFuture<Void> call(java.util.function.Supplier<CompletableFuture<Void>> send) {
        try {
            CompletableFuture<Void> f = send.get();
            return f != null ? f : CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void done() {
        int was = STATE.getAndSet(this, SETTLED);
        if (was == GIVEN_BACK) {
            STATE.set(this, GIVEN_BACK);
        } else if (was != SETTLED) {
            settled();
        }
    }
}
