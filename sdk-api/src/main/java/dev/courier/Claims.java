package dev.courier;

import dev.courier.spi.DeduplicationStore;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import org.slf4j.Logger;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The pipeline's use of the {@link DeduplicationStore}: claim (step 3), mark done after success,
 * release after a failure. Every way back is bounded:
 * <ul>
 *   <li>a store that fails to claim the id sends the message back after 1 s, 2 s, 4 s, 8 s, 16 s
 *       (counted in {@link Headers#CLAIM_FAILURES}); the sixth failure dead-letters it with the
 *       store's error as the reason;</li>
 *   <li>an id claimed elsewhere comes back after at most 1 s (a quarter lease if shorter): that
 *       claim ends by completion, release or the expiry of its lease;</li>
 *   <li>a {@code redeliverLater} that fails on either way back never leaves the message unsettled: a
 *       failed claim is dead-lettered at once; a copy claimed elsewhere is rejected with requeue.</li>
 * </ul>
 * Internal.
 */
final class Claims {
    /** Claim failures before the message is dead-lettered. */
    static final int MAX_FAILURES = 5;
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    /** How soon a copy that found its id claimed elsewhere comes back (at most; a quarter lease if shorter). */
    static final Duration IN_PROGRESS_RETRY = Duration.ofSeconds(1);

    private final BusSettings s;
    private final Logger log;

    /** What to do with a message whose claim failed for good: dead-letter it with this failure. */
    interface Giving {
        CompletableFuture<?> deadLetter(Delivery d, Envelope env, Throwable error);
    }

    Claims(BusSettings settings, Logger log) {
        this.s = settings;
        this.log = log;
    }

    /**
     * Claims {@code env}'s id and runs {@code handle} when acquired; otherwise settles {@code d} itself
     * (done: ack; elsewhere or failed: back later, bounded; failed for good: {@code giving}).
     */
    CompletableFuture<?> claim(Delivery d, Envelope env, Supplier<CompletableFuture<?>> handle, Giving giving,
                               Runnable duplicate) {
        DeduplicationStore.Claim claim;
        try {
            claim = s.deduplicationStore().claim(s.service(), env.id(), s.claimLease());
        } catch (RuntimeException e) {
            return claimFailed(d, env, e, giving);
        }
        if (claim == DeduplicationStore.Claim.ACQUIRED) {
            return handle.get();
        }
        if (claim == DeduplicationStore.Claim.DONE) {
            if (log.isDebugEnabled()) {
                log.debug("{} {} already handled by service '{}': duplicate suppressed", env.type(), env.id(), s.service());
            }
            duplicate.run();
            return d.ack();
        }
        log.debug("{} {} is being handled elsewhere; it comes back later", env.type(), env.id());
        Duration quarter = s.claimLease().dividedBy(4);
        Duration delay = quarter.compareTo(IN_PROGRESS_RETRY) < 0 && !quarter.isZero() ? quarter : IN_PROGRESS_RETRY;
        return dev.courier.spi.support.Redeliveries.later(d, d.headers(), delay, s.transport(), s.scheduler()).exceptionally(e -> {
            log.warn("could not send {} {} (claimed elsewhere) back for later ({}); rejecting it to the broker",
                    env.type(), env.id(), Inbound.unwrap(e).toString());
            d.reject(true);
            return null;
        });
    }

    private CompletableFuture<?> claimFailed(Delivery d, Envelope env, RuntimeException e, Giving giving) {
        int failures = Inbound.intHeader(d.headers(), Headers.CLAIM_FAILURES);
        if (failures >= MAX_FAILURES) {
            return giving.deadLetter(d, env, new CourierException("the deduplication store could not claim " + env.type()
                    + " " + LimitCheck.shortened(env.id(), 80) + " in " + (failures + 1) + " tries; last: " + e, e));
        }
        Duration delay = FIRST_RETRY.multipliedBy(1L << failures);
        log.warn("deduplication store failed to claim {} {} (try {} of {}); the message comes back in {}: {}", env.type(),
                env.id(), failures + 1, MAX_FAILURES + 1, delay, e.toString());
        Map<String, String> back = new HashMap<>(d.headers());
        back.put(Headers.CLAIM_FAILURES, Integer.toString(failures + 1));
        return dev.courier.spi.support.Redeliveries.later(d, back, delay, s.transport(), s.scheduler()).handle((x, e2) -> {
            if (e2 == null) {
                return CompletableFuture.completedFuture(null);
            }
            return giving.deadLetter(d, env, new CourierException("the deduplication store could not claim " + env.type()
                    + " " + LimitCheck.shortened(env.id(), 80) + " (" + e + ") and it could not be sent back for"
                    + " another try (" + Inbound.unwrap(e2) + ")", e));
        }).thenCompose(x -> x);
    }

    /** Marks done after success; a failure here only means a redelivery may run the handler again. */
    void complete(Envelope env) {
        try {
            s.deduplicationStore().complete(s.service(), env.id());
        } catch (RuntimeException e) {
            log.warn("deduplication store failed to mark {} {} done; a redelivery may run the handler again: {}",
                    env.type(), env.id(), e.toString());
        }
    }

    /** Forgets the claim after a failure or a dead letter; {@code env} null (undecodable) does nothing. */
    void release(Envelope env) {
        if (env == null || env.id() == null) {
            return;
        }
        try {
            s.deduplicationStore().release(s.service(), env.id());
        } catch (RuntimeException e) {
            log.warn("deduplication store failed to release {} {}; it is retried after its lease: {}", env.type(),
                    env.id(), e.toString());
        }
    }
}
