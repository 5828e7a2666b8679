package dev.courier;

import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The consume pipeline of one handler. Its steps, in this fixed order (written here and in
 * {@link #process}, nowhere else):
 * <ol>
 *   <li>decode ({@link Decoder}): no id, no type, a size limit broken, a specversion other than 1.x,
 *       a type this handler does not take, or a body that is not one non-null JSON value goes
 *       straight to the dead letter, without retries;</li>
 *   <li>deadline ({@link Deadline}): a request whose caller has given up is acked and skipped (only a
 *       request: a deadline on anything else is ignored);</li>
 *   <li>claim for (service, id) ({@link Claims}): done → ack and skip; claimed elsewhere or the store
 *       failing → come back later, bounded;</li>
 *   <li>attempts ({@link Attempts}): the handler, through the inbound chain and the user's
 *       {@link Interceptor.Inbound} links, inside the retry policy's immediate stage (resilience4j,
 *       scheduled); what it held is sent after each successful attempt;</li>
 *   <li>settle ({@link Settle}): success → mark done, ack; given back when the bus closes or a
 *       request's deadline passed; retryable failure with redeliveries left → release the claim and
 *       redeliver later (if that cannot be scheduled: the dead letter); otherwise → dead letter
 *       ({@link DeadLetterer}) with diagnostic headers, wait for its confirm, tell a waiting
 *       requester, release, ack.</li>
 * </ol>
 * A message that comes back after its dead letter was refused ({@link Headers#DL_FAILURES}) goes
 * straight to the dead-letter step again: its handler never runs twice for one failure. Nothing is
 * acked before its outcome is durable; a failed attempt never marks done and sends nothing. The
 * messages in progress are bounded by the handler's {@link Lane}. Internal.
 */
final class Inbound {
    private final BusCore core;
    private final BusSettings s;
    private final MessageType type;
    private final Lane lane;
    private final Decoder decoder;
    private final Claims claims;
    private final Attempts attempts;
    private final Settle settle;
    private final Logger log;

    Inbound(BusCore core, MessageType type, Handler<Object> handler) {
        this.core = core;
        this.s = core.settings();
        this.type = type;
        this.log = core.log();
        this.decoder = new Decoder(s.codec(), type);
        this.claims = new Claims(s, log);
        this.attempts = new Attempts(core, type, handler);
        this.settle = new Settle(core, claims);
        this.lane = new Lane(s.handlerExecutor(), s.concurrency(), this::process, log,
                type.name() + " of '" + s.service() + "'");
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

    /** The pipeline for one delivery: decode → deadline → claim → attempts → settle. */
    private CompletableFuture<?> process(Delivery d) {
        Map<String, String> h = d.headers();
        if (h.containsKey(Headers.DL_FAILURES)) {
            return settle.deadLetterAgain(d);
        }
        Decoder.Decoded decoded;
        try {
            decoded = decoder.decode(d, core.limits());
        } catch (CodecException | LimitExceededException e) {
            return settle.deadLetter(d, null, e, 0, null);
        }
        Envelope env = decoded.envelope();
        if (Deadline.passed(h, s.clock())) {
            log.debug("{} {} skipped: its requester's deadline has passed", env.type(), env.id());
            return d.ack();
        }
        return claims.claim(d, env,
                () -> attemptsThenSettle(d, env, decoded.payload()),
                (dl, e, error) -> settle.deadLetter(dl, e, error, 0, null),
                () -> core.listeners().duplicate(s.service(), env));
    }

    /** Steps 4 and 5: the attempts, then settle; settles on this thread when the attempts ended on it. */
    private CompletableFuture<?> attemptsThenSettle(Delivery d, Envelope env, Object payload) {
        CompletableFuture<Attempts.Result> attempted = attempts.run(env, payload);
        if (attempted.isDone() && !attempted.isCompletedExceptionally()) { // as thenCompose would, without its stages
            try {
                return settle.after(d, env, attempted.join());
            } catch (Throwable t) {
                return CompletableFuture.failedFuture(t instanceof CompletionException ? t : new CompletionException(t));
            }
        }
        return attempted.thenCompose(r -> settle.after(d, env, r));
    }

    /** A non-negative integer header; 0 when absent or not a number. */
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

    /** The cause inside completion and execution wrappers. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
