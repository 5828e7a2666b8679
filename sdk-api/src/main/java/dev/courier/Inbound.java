package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.slf4j.Logger;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The consume pipeline of one handler, in this fixed order:
 * <ol>
 *   <li>decode ({@link Decoder}): no id, no type, a size limit broken, a specversion other than 1.x,
 *       a type this handler does not take, or a body that is not one non-null JSON value goes
 *       straight to the dead letter, without retries;</li>
 *   <li>deadline: a request whose caller has given up is acked and skipped (only a request: a
 *       deadline on anything else is ignored);</li>
 *   <li>dedup claim for (service, id) ({@link Claims}): done → ack and skip; claimed elsewhere or the
 *       store failing → come back later, bounded;</li>
 *   <li>handler attempts inside the retry policy's immediate stage (resilience4j, scheduled);</li>
 *   <li>outcome: success → send what the handler held back, mark done, ack; retryable failure with
 *       redeliveries left → release the claim and redeliver later (if that cannot be scheduled: the
 *       dead letter); otherwise → dead letter ({@link DeadLetterer}) with diagnostic headers, wait
 *       for its confirm, tell a waiting requester, release, ack.</li>
 * </ol>
 * A message that comes back after its dead letter was refused ({@link Headers#DL_FAILURES}) goes
 * straight to the dead-letter step again: its handler never runs twice for one failure. Nothing is
 * acked before its outcome is durable; a failed attempt never marks done and sends nothing. Internal.
 */
final class Inbound {
    /** Thrown when a request's caller has given up; the message is acked and skipped. */
    static final class DeadlinePassed extends RuntimeException {
        DeadlinePassed() {
            super("the caller's deadline has passed", null, false, false);
        }
    }

    /** Thrown instead of running a handler once the bus is closing; the message is given back. */
    static final class Closing extends RuntimeException {
        Closing() {
            super("the bus is closing", null, false, false);
        }
    }

    private final BusCore core;
    private final BusSettings s;
    private final MessageType type;
    private final Handler<Object> handler;
    private final Lane lane;
    private final Decoder decoder;
    private final Claims claims;
    private final DeadLetterer deadLetterer;
    private final Retry retry;
    private final Logger log;
    private final String protocol;

    Inbound(BusCore core, MessageType type, Handler<Object> handler) {
        this.core = core;
        this.s = core.settings();
        this.type = type;
        this.handler = handler;
        this.log = core.log();
        this.protocol = dev.courier.spi.WireDescription.of(s.transport()).protocol();
        this.decoder = new Decoder(s.codec(), type);
        this.claims = new Claims(s, log);
        this.deadLetterer = new DeadLetterer(core, claims);
        this.lane = new Lane(s.handlerExecutor(), s.concurrency(), this::process, log,
                type.name() + " of '" + s.service() + "'");
        RetryPolicy p = s.retryPolicy();
        this.retry = Retry.of("courier." + s.service() + "." + type.name(), RetryConfig.<Object>custom()
                .maxAttempts(p.maxAttempts())
                .intervalFunction(p.initialBackoff().isZero() ? IntervalFunction.of(1L)
                        : p.jitter() > 0
                        ? IntervalFunction.ofExponentialRandomBackoff(p.initialBackoff(), p.multiplier(), p.jitter(), p.maxBackoff())
                        : IntervalFunction.ofExponentialBackoff(p.initialBackoff(), p.multiplier(), p.maxBackoff()))
                .retryOnException(e -> !(e instanceof DeadlinePassed) && p.isRetryable(e))
                .failAfterMaxAttempts(false)
                .build());
    }

    String typeName() {
        return type.name();
    }

    void onDelivery(Delivery d) {
        if (core.isClosing()) {
            d.reject(true);
            return;
        }
        lane.submit(d);
    }

    int outstanding() {
        return lane.outstanding();
    }

    CompletableFuture<Void> idle() {
        return lane.idle();
    }

    void returnUnstarted() {
        for (Delivery d : lane.drainUnstarted()) {
            d.reject(true);
        }
    }

    private CompletableFuture<?> process(Delivery d) {
        Map<String, String> h = d.headers();
        if (h.containsKey(Headers.DL_FAILURES)) {
            String id = h.get(Headers.ID);
            return deadLetterer.deadLetter(d, id == null ? null : Decoder.envelope(h), DeadLetterer.Failure.carried(h));
        }
        Decoder.Decoded decoded;
        try {
            decoded = decoder.decode(d, core.limits());
        } catch (CodecException | LimitExceededException e) {
            return deadLetter(d, null, e, 0, null);
        }
        Envelope env = decoded.envelope();
        if (deadlinePassed(h)) {
            log.debug("{} {} skipped: its requester's deadline has passed", env.type(), env.id());
            return d.ack();
        }
        return claims.claim(d, env, () -> attempts(d, env, decoded.payload()),
                (dl, e, error) -> deadLetter(dl, e, error, 0, null), () -> core.listeners().duplicate(s.service(), env));
    }

    private CompletableFuture<?> attempts(Delivery d, Envelope env, Object payload) {
        int before = intHeader(env.headers(), Headers.ATTEMPT);
        AtomicInteger made = new AtomicInteger(1);
        // Fast path: the first attempt runs here, without the retry machinery; most messages end here.
        CompletableFuture<Object> first = attempt(env, payload, before + 1, 1);
        if (first.isDone() && !first.isCompletedExceptionally()) {
            return settleSuccess(d, env);
        }
        CompletableFuture<Object> result = first.handle((ok, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(ok);
            }
            Throwable cause = unwrap(error);
            if (s.retryPolicy().maxAttempts() == 1 || cause instanceof DeadlinePassed || core.isClosing()
                    || !s.retryPolicy().isRetryable(cause)) {
                return CompletableFuture.failedFuture(cause);
            }
            // Later attempts: resilience4j counts the failed first one, then schedules the backoff.
            AtomicBoolean replayFirst = new AtomicBoolean(true);
            return retry.executeCompletionStage(s.scheduler(), () -> {
                if (replayFirst.getAndSet(false)) {
                    return CompletableFuture.failedFuture(cause);
                }
                return CompletableFuture.supplyAsync(() -> {
                    int n = made.incrementAndGet();
                    return attempt(env, payload, before + n, n);
                }, s.handlerExecutor()).thenCompose(f -> f);
            }).toCompletableFuture();
        }).thenCompose(f -> f);
        return result.handle((ok, error) -> {
            if (error == null) {
                return settleSuccess(d, env);
            }
            Throwable cause = unwrap(error);
            if (core.isClosing()) {
                log.debug("{} {} not finished before the bus closed ({}); given back", env.type(), env.id(), cause.toString());
                claims.release(env);
                return d.reject(true);
            }
            if (cause instanceof DeadlinePassed) {
                log.debug("{} {} not retried: its requester's deadline has passed", env.type(), env.id());
                claims.release(env);
                return d.ack();
            }
            return settleFailure(d, env, cause, before + made.get());
        }).thenCompose(f -> f);
    }

    /**
     * One handler attempt: run it through the inbound chain (MDC, listeners, interceptors, the handler)
     * with a fresh context, then flush what it held. {@code attemptNo} counts all attempts of the
     * message; {@code immediate} this delivery's (from 1).
     */
    private CompletableFuture<Object> attempt(Envelope env, Object payload, int attemptNo, int immediate) {
        if (core.isClosing()) {
            return CompletableFuture.failedFuture(new Closing());
        }
        if (attemptNo > 1 && deadlinePassed(env.headers())) {
            return CompletableFuture.failedFuture(new DeadlinePassed());
        }
        HandlerContext ctx = new HandlerContext(core, env, attemptNo);
        ctx.enter();
        HandlerThreads.Slot slot = core.handlerThreads().enter();
        long t0 = System.nanoTime();
        try {
            core.chains().inbound(env, attemptNo, s.service(), kind(env), protocol, new InboundCall.Attempt() {
                @Override
                public void runHandler() throws Exception {
                    handler.handle(payload, ctx);
                }

                @Override
                public AttemptOutcome outcomeOf(Throwable error) {
                    return Inbound.this.outcomeOf(error, immediate, env);
                }
            });
        } catch (Throwable t) {
            BusCore.discard(ctx.held(), t);
            if (log.isDebugEnabled() && outcomeOf(t, immediate, env) == AttemptOutcome.RETRY) {
                log.debug("{} {} attempt {} failed and is tried again: {}", env.type(), env.id(), attemptNo, t.toString());
            }
            return CompletableFuture.failedFuture(t);
        } finally {
            core.handlerThreads().leave(slot);
            ctx.exit();
        }
        if (ctx.failed() != null) { // the handler published through the bus a message that could not be made
            BusCore.discard(ctx.held(), ctx.failed());
            return CompletableFuture.failedFuture(ctx.failed());
        }
        if (log.isTraceEnabled()) {
            log.trace("{} {} handled in {} us (attempt {})", env.type(), env.id(), (System.nanoTime() - t0) / 1000, attemptNo);
        }
        return core.flush(ctx.held()).thenApply(x -> (Object) null);
    }

    /** What the pipeline does after an attempt that ended with {@code error} (null: success). */
    private AttemptOutcome outcomeOf(Throwable error, int immediate, Envelope env) {
        if (error == null) {
            return AttemptOutcome.SUCCESS;
        }
        if (core.isClosing() || error instanceof DeadlinePassed || error instanceof Closing) {
            return AttemptOutcome.GIVEN_BACK;
        }
        RetryPolicy p = s.retryPolicy();
        if (!p.isRetryable(error)) {
            return AttemptOutcome.DEAD_LETTER;
        }
        if (immediate < p.maxAttempts()) {
            return AttemptOutcome.RETRY;
        }
        return intHeader(env.headers(), Headers.REDELIVERY) < p.redeliveryDelays().size()
                ? AttemptOutcome.REDELIVERY : AttemptOutcome.DEAD_LETTER;
    }

    private MessageKind kind(Envelope env) {
        if (type.kind() == MessageType.Kind.EVENT) {
            return MessageKind.EVENT;
        }
        return env.header(Headers.REPLY_TO) != null ? MessageKind.REQUEST : MessageKind.COMMAND;
    }

    private CompletableFuture<Void> settleSuccess(Delivery d, Envelope env) {
        claims.complete(env);
        return d.ack();
    }

    private CompletableFuture<?> settleFailure(Delivery d, Envelope env, Throwable error, int attempts) {
        RetryPolicy p = s.retryPolicy();
        int redelivery = intHeader(env.headers(), Headers.REDELIVERY);
        if (p.isRetryable(error) && redelivery < p.redeliveryDelays().size()) {
            java.time.Duration delay = p.redeliveryDelays().get(redelivery);
            Map<String, String> h = new HashMap<>(d.headers());
            h.remove(Headers.CLAIM_FAILURES);
            h.put(Headers.ATTEMPT, Integer.toString(attempts));
            h.put(Headers.REDELIVERY, Integer.toString(redelivery + 1));
            h.putIfAbsent(Headers.FIRST_FAILURE, Instant.now(s.clock()).toString());
            log.debug("{} {} failed {} attempt(s); redelivery {} of {} in {}: {}", env.type(), env.id(), attempts,
                    redelivery + 1, p.redeliveryDelays().size(), delay, error.toString());
            core.listeners().redelivering(env, attempts, error);
            claims.release(env);
            return dev.courier.spi.support.Redeliveries.later(d, h, delay, s.transport(), s.scheduler()).handle((x, e) -> {
                if (e == null) {
                    return CompletableFuture.completedFuture(null);
                }
                log.warn("could not schedule the redelivery of {} {} ({}); it is dead-lettered instead", env.type(),
                        env.id(), unwrap(e).toString());
                return deadLetter(d, env, error, attempts, h.get(Headers.FIRST_FAILURE));
            }).thenCompose(x -> x);
        }
        return deadLetter(d, env, error, attempts, env.header(Headers.FIRST_FAILURE));
    }

    private CompletableFuture<?> deadLetter(Delivery d, Envelope env, Throwable error, int attempts, String firstFailure) {
        return deadLetterer.deadLetter(d, env, DeadLetterer.Failure.of(error, attempts, firstFailure,
                s.deadLetterPolicy().maxStackTraceBytes()));
    }

    /** True for a request whose requester has given up. A deadline on anything else is ignored (docs/guarantees.md). */
    private boolean deadlinePassed(Map<String, String> h) {
        String deadline = h.get(Headers.DEADLINE);
        if (deadline == null || h.get(Headers.REPLY_TO) == null) {
            return false;
        }
        try {
            return s.clock().millis() > Long.parseLong(deadline);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static int intHeader(Map<String, String> headers, String name) {
        String v = headers.get(name);
        if (v == null) {
            return 0;
        }
        try {
            return Math.max(0, Integer.parseInt(v));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
