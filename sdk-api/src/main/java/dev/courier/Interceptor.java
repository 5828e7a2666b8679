package dev.courier;

import java.util.concurrent.CompletableFuture;

/**
 * A link in one of the bus's two chains, OkHttp style: {@link Inbound} around each handler attempt,
 * {@link Outbound} before each publish, send, request and reply. Register any number with
 * {@link MessageBus.Builder#interceptor(Interceptor)}; a class may implement both (tracing and
 * metrics do) and, if it also implements {@link BusListener}, it gets those events too.
 *
 * <p><b>Order.</b> Inbound, outermost first: the built-in MDC link (puts {@code correlationId},
 * {@code messageId}, {@code messageType} and {@code service}), the built-in {@link BusListener} link,
 * then interceptors in registration order, then the handler. Outbound: interceptors in registration
 * order, then the built-in end (limits check, then send, or hold back inside a handler). Courier
 * has set every header (ids, correlation, W3C {@code traceparent} with a new parent id) before the
 * first outbound link runs, so a tracing link can replace it.
 *
 * <p><b>Exceptions.</b> An inbound link that throws fails the attempt with its exception, exactly
 * like a handler that throws (retried or dead-lettered by the policy). An outbound link that throws
 * fails the publish's future with a {@link PublishException} whose cause is its exception (Courier's
 * own exceptions, such as {@link LimitExceededException}, pass unchanged); the publish itself never
 * throws. Inside a handler the handler attempt fails too ({@link MessageContext#publish(Event)} throws).
 * A chain step called twice ({@code proceed()}) fails with a {@link CourierException}. Keep links
 * fast: they run on every message.
 */
public sealed interface Interceptor permits Interceptor.Inbound, Interceptor.Outbound {

    /** Around each handler attempt, on the handler thread. See {@link InboundChain}. */
    @FunctionalInterface
    non-sealed interface Inbound extends Interceptor {
        /**
         * Runs around one handler attempt; call {@code chain.proceed()} to go on.
         *
         * @param chain the attempt and the rest of the chain
         * @throws Exception to fail the attempt (like a handler that throws)
         */
        void intercept(InboundChain chain) throws Exception;
    }

    /** Before each message this bus makes goes out, on the publishing thread. See {@link OutboundChain}. */
    @FunctionalInterface
    non-sealed interface Outbound extends Interceptor {
        /**
         * Runs before one message goes out; call {@code chain.proceed()} to go on.
         *
         * @param chain the outgoing message and the rest of the chain
         * @return the future the publisher gets, normally {@code chain.proceed()}'s
         */
        CompletableFuture<Void> intercept(OutboundChain chain);
    }

    /**
     * Types a lambda as an inbound link: {@code .interceptor(Interceptor.inbound(chain -> ...))}.
     *
     * @param link the link
     * @return the same link
     */
    static Inbound inbound(Inbound link) {
        return link;
    }

    /**
     * Types a lambda as an outbound link: {@code .interceptor(Interceptor.outbound(chain -> ...))}.
     *
     * @param link the link
     * @return the same link
     */
    static Outbound outbound(Outbound link) {
        return link;
    }
}
