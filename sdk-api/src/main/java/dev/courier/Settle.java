package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import dev.courier.spi.support.Redeliveries;
import org.slf4j.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Pipeline step 5, the outcome of the attempts, one of:
 * <ul>
 *   <li>success: mark done, ack (what the handler held was already sent by its attempt);</li>
 *   <li>given back: the bus closed during the attempts → release, {@code reject(true)}; a request's
 *       deadline passed between attempts → release, ack;</li>
 *   <li>redeliver: a retryable failure with redeliveries left → release the claim and send the message
 *       back for later, counted in {@link Headers#REDELIVERY} (if that cannot be scheduled: the dead
 *       letter);</li>
 *   <li>dead letter ({@link DeadLetterer}): with diagnostic headers; it waits for the dead letter's
 *       confirm, tells a waiting requester, releases and acks.</li>
 * </ul>
 * Internal.
 */
final class Settle {
    private final BusCore core;
    private final BusSettings s;
    private final Claims claims;
    private final DeadLetterer deadLetterer;
    private final Logger log;

    Settle(BusCore core, Claims claims) {
        this.core = core;
        this.s = core.settings();
        this.claims = claims;
        this.deadLetterer = new DeadLetterer(core, claims);
        this.log = core.log();
    }

    /** Settles {@code d} after its attempts ended with {@code r}. */
    CompletableFuture<?> after(Delivery d, Envelope env, Attempts.Result r) {
        Throwable cause = r.error();
        if (cause == null) {
            claims.complete(env);
            return d.ack();
        }
        if (core.isClosing()) {
            log.debug("{} {} not finished before the bus closed ({}); given back", env.type(), env.id(), cause.toString());
            claims.release(env);
            return d.reject(true);
        }
        if (cause instanceof Deadline.Passed) {
            log.debug("{} {} not retried: its requester's deadline has passed", env.type(), env.id());
            claims.release(env);
            return d.ack();
        }
        return redeliverOrDeadLetter(d, env, cause, r.attempts());
    }

    /** Dead-letters {@code d} ({@code env} null when it could not be decoded) after {@code attempts} attempts. */
    CompletableFuture<?> deadLetter(Delivery d, Envelope env, Throwable error, int attempts, String firstFailure) {
        return deadLetterer.deadLetter(d, env, DeadLetterer.Failure.of(error, attempts, firstFailure,
                s.deadLetterPolicy().maxStackTraceBytes()));
    }

    /** A message whose dead letter was refused before: straight to the dead-letter step again. */
    CompletableFuture<?> deadLetterAgain(Delivery d) {
        Map<String, String> h = d.headers();
        String id = h.get(Headers.ID);
        return deadLetterer.deadLetter(d, id == null ? null : Decoder.envelope(h), DeadLetterer.Failure.carried(h));
    }

    private CompletableFuture<?> redeliverOrDeadLetter(Delivery d, Envelope env, Throwable error, int attempts) {
        RetryPolicy p = s.retryPolicy();
        int redelivery = Inbound.intHeader(env.headers(), Headers.REDELIVERY);
        if (!p.isRetryable(error) || redelivery >= p.redeliveryDelays().size()) {
            return deadLetter(d, env, error, attempts, env.header(Headers.FIRST_FAILURE));
        }
        Duration delay = p.redeliveryDelays().get(redelivery);
        Map<String, String> h = new HashMap<>(d.headers());
        h.remove(Headers.CLAIM_FAILURES);
        h.put(Headers.ATTEMPT, Integer.toString(attempts));
        h.put(Headers.REDELIVERY, Integer.toString(redelivery + 1));
        h.putIfAbsent(Headers.FIRST_FAILURE, Instant.now(s.clock()).toString());
        log.debug("{} {} failed {} attempt(s); redelivery {} of {} in {}: {}", env.type(), env.id(), attempts,
                redelivery + 1, p.redeliveryDelays().size(), delay, error.toString());
        core.listeners().redelivering(env, attempts, error);
        claims.release(env);
        return Redeliveries.later(d, h, delay, s.transport(), s.scheduler()).handle((x, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(null);
            }
            log.warn("could not schedule the redelivery of {} {} ({}); it is dead-lettered instead", env.type(),
                    env.id(), Inbound.unwrap(e).toString());
            return deadLetter(d, env, error, attempts, h.get(Headers.FIRST_FAILURE));
        }).thenCompose(x -> x);
    }
}
