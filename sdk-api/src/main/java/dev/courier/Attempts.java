package dev.courier;

import dev.courier.spi.Headers;
import dev.courier.spi.WireDescription;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import org.slf4j.Logger;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pipeline step 4, the attempts: the handler run inside the retry policy's immediate stage. Each
 * attempt goes through the inbound chain (MDC, listeners, the user's {@link Interceptor.Inbound}
 * links, the handler) with a fresh {@link HandlerContext}, then flushes what the handler held. The
 * first attempt runs without resilience4j (most messages end there); only a failed first attempt
 * enters the {@link Retry}, which is told about that failure and schedules the backoff. What happens
 * after the last attempt is {@link Settle}'s. Internal.
 */
final class Attempts {
    /** Thrown instead of running a handler once the bus is closing; the message is given back. */
    static final class Closing extends RuntimeException {
        Closing() {
            super("the bus is closing", null, false, false);
        }
    }

    /**
     * How the attempts ended: {@code error} null on success (its cause unwrapped otherwise); after a
     * failure, {@code attempts} counts all attempts of the message so far, earlier deliveries included
     * (a success does not count them: 0).
     */
    record Result(Throwable error, int attempts) {
        private static final CompletableFuture<Result> FIRST_SUCCEEDED = CompletableFuture.completedFuture(new Result(null, 0));
    }

    private final BusCore core;
    private final BusSettings s;
    private final MessageType type;
    private final Handler<Object> handler;
    private final Retry retry;
    private final Logger log;
    private final String protocol;

    Attempts(BusCore core, MessageType type, Handler<Object> handler) {
        this.core = core;
        this.s = core.settings();
        this.type = type;
        this.handler = handler;
        this.log = core.log();
        this.protocol = WireDescription.of(s.transport()).protocol();
        RetryPolicy p = s.retryPolicy();
        this.retry = Retry.of("courier." + s.service() + "." + type.name(), RetryConfig.<Object>custom()
                .maxAttempts(p.maxAttempts())
                .intervalFunction(p.initialBackoff().isZero() ? IntervalFunction.of(1L)
                        : p.jitter() > 0
                        ? IntervalFunction.ofExponentialRandomBackoff(p.initialBackoff(), p.multiplier(), p.jitter(), p.maxBackoff())
                        : IntervalFunction.ofExponentialBackoff(p.initialBackoff(), p.multiplier(), p.maxBackoff()))
                .retryOnException(e -> !(e instanceof Deadline.Passed) && p.isRetryable(e))
                .failAfterMaxAttempts(false)
                .build());
    }

    /** Runs the handler until it succeeds or the immediate stage is over; the future never fails. */
    CompletableFuture<Result> run(Envelope env, Object payload) {
        int before = Inbound.intHeader(env.headers(), Headers.ATTEMPT);
        AtomicInteger made = new AtomicInteger(1);
        // Fast path: the first attempt runs here, without the retry machinery; most messages end here.
        CompletableFuture<Object> first = attempt(env, payload, before + 1, 1);
        if (first.isDone() && !first.isCompletedExceptionally()) {
            return Result.FIRST_SUCCEEDED;
        }
        CompletableFuture<Object> result = first.handle((ok, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(ok);
            }
            Throwable cause = Inbound.unwrap(error);
            if (s.retryPolicy().maxAttempts() == 1 || cause instanceof Deadline.Passed || core.isClosing()
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
        return result.handle((ok, error) -> error == null ? new Result(null, 0) : new Result(Inbound.unwrap(error), before + made.get()));
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
        if (attemptNo > 1 && Deadline.passed(env.headers(), s.clock())) {
            return CompletableFuture.failedFuture(new Deadline.Passed());
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
                    return Attempts.this.outcomeOf(error, immediate, env);
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
        if (core.isClosing() || error instanceof Deadline.Passed || error instanceof Closing) {
            return AttemptOutcome.GIVEN_BACK;
        }
        RetryPolicy p = s.retryPolicy();
        if (!p.isRetryable(error)) {
            return AttemptOutcome.DEAD_LETTER;
        }
        if (immediate < p.maxAttempts()) {
            return AttemptOutcome.RETRY;
        }
        return Inbound.intHeader(env.headers(), Headers.REDELIVERY) < p.redeliveryDelays().size()
                ? AttemptOutcome.REDELIVERY : AttemptOutcome.DEAD_LETTER;
    }

    private MessageKind kind(Envelope env) {
        if (type.kind() == MessageType.Kind.EVENT) {
            return MessageKind.EVENT;
        }
        return env.header(Headers.REPLY_TO) != null ? MessageKind.REQUEST : MessageKind.COMMAND;
    }
}
