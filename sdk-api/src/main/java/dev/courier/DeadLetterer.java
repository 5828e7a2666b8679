package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Delivery;
import dev.courier.spi.Headers;
import org.slf4j.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The last step of the pipeline for a message that cannot be handled: publish its dead letter
 * (fitted to the transport's limits by {@link DeadLetterForm}), wait for the confirm, tell a waiting
 * requester, release the claim, ack.
 *
 * <p>When the dead-letter channel refuses it, the message goes back to the broker with
 * {@link Headers#DL_FAILURES} counting the tries and the failure's type and message, and comes back
 * after 5 s, 10 s, 20 s — straight here, never to the handler again. From the fourth try on only the
 * {@linkplain DeadLetterForm#minimal minimal form} is sent. A channel that refuses even that means
 * the bus cannot do its job: ERROR on every try, the message stays with the broker (never lost,
 * never acked), and the tries go on at most every 5 minutes. Internal.
 */
final class DeadLetterer {
    /** Tries with the full form before the minimal form is used. */
    static final int FULL_FORM_TRIES = 3;
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);
    private static final int MESSAGE_BYTES = 1024;

    private final BusCore core;
    private final BusSettings s;
    private final Claims claims;
    private final Logger log;

    /** Why a message is dead-lettered, as its diagnostic headers will say. */
    record Failure(String type, String message, String stackTrace, int attempts, String firstFailure, Throwable error) {

        static Failure of(Throwable error, int attempts, String firstFailure, int maxStackTraceBytes) {
            return new Failure(error.getClass().getName(), DeadLetterForm.cut(String.valueOf(error.getMessage()),
                    MESSAGE_BYTES), StackTraces.bounded(error, maxStackTraceBytes), attempts, firstFailure, error);
        }

        /** The failure a message carries back from a dead-letter try that the channel refused. */
        static Failure carried(Map<String, String> h) {
            return new Failure(h.getOrDefault(Headers.DL_ERROR_TYPE, CourierException.class.getName()),
                    h.getOrDefault(Headers.DL_ERROR_MESSAGE, "unknown"),
                    "(the stack trace is not kept across a dead-letter retry)",
                    Inbound.intHeader(h, Headers.DL_ATTEMPTS), h.get(Headers.DL_FIRST_FAILURE), null);
        }

        /** For listeners: the original exception, or (after a dead-letter retry) one that names it. */
        Throwable asThrowable() {
            return error != null ? error : new CourierException(type + ": " + message);
        }
    }

    DeadLetterer(BusCore core, Claims claims) {
        this.core = core;
        this.s = core.settings();
        this.claims = claims;
        this.log = core.log();
    }

    /** Dead-letters {@code d}; {@code env} is null when the message could not be decoded. */
    CompletableFuture<?> deadLetter(Delivery d, Envelope env, Failure f) {
        int tries = Inbound.intHeader(d.headers(), Headers.DL_FAILURES);
        String now = Instant.now(s.clock()).toString();
        Map<String, String> h = new HashMap<>(d.headers());
        for (String transientHeader : new String[] {Headers.ATTEMPT, Headers.REDELIVERY, Headers.FIRST_FAILURE,
                Headers.DL_FAILURES, Headers.CLAIM_FAILURES}) {
            h.remove(transientHeader);
        }
        h.put(Headers.DL_ERROR_TYPE, f.type());
        h.put(Headers.DL_ERROR_MESSAGE, f.message());
        h.put(Headers.DL_STACK_TRACE, f.stackTrace());
        h.put(Headers.DL_ATTEMPTS, Integer.toString(f.attempts()));
        h.put(Headers.DL_ADDRESS, d.address().withoutGroup().toString());
        h.put(Headers.DL_SERVICE, s.service());
        h.put(Headers.DL_FIRST_FAILURE, f.firstFailure() != null ? f.firstFailure() : now);
        h.put(Headers.DL_LAST_FAILURE, now);
        DeadLetterForm.Fitted form = tries < FULL_FORM_TRIES
                ? DeadLetterForm.fit(h, d.body(), core.outgoing().capacity())
                : DeadLetterForm.minimal(h, d.body(), core.outgoing().capacity());
        String id = d.headers().get(Headers.ID);
        String typeName = d.headers().get(Headers.TYPE);
        return core.send(Address.deadLetter(s.service()), form.headers(), form.body(), "dead letter of " + typeName)
                .handle((x, e) -> {
                    if (e != null && core.isClosing()) {
                        log.debug("{} {} not dead-lettered before the bus closed; given back", typeName, id);
                        claims.release(env);
                        return d.reject(true);
                    }
                    if (e != null) {
                        return comeBackLater(d, env, f, tries, Inbound.unwrap(e));
                    }
                    log.warn("dead-lettered {} {} of service '{}' after {} attempt(s): {}: {}", typeName, id,
                            s.service(), f.attempts(), f.type(), f.message());
                    core.listeners().deadLettered(s.service(), env, id, typeName, f.asThrowable());
                    if (env != null && env.header(Headers.REPLY_TO) != null && s.deadLetterPolicy().notifyRequester()) {
                        notifyRequester(env, f);
                    }
                    claims.release(env);
                    return d.ack();
                }).thenCompose(x -> x);
    }

    private CompletableFuture<Void> comeBackLater(Delivery d, Envelope env, Failure f, int tries, Throwable why) {
        String id = d.headers().get(Headers.ID);
        String typeName = d.headers().get(Headers.TYPE);
        Duration delay = delay(tries);
        if (tries >= FULL_FORM_TRIES) {
            log.error("the dead-letter channel of service '{}' refuses even the minimal dead letter of {} {} ({} tries:"
                    + " {}); the message stays with the broker, is not acked, and is tried again in {}", s.service(),
                    typeName, id, tries + 1, why.toString(), delay);
        } else {
            log.error("could not dead-letter {} {} of service '{}' ({}: {}): {}; the message was not acked and comes"
                    + " back in {} for another try", typeName, id, s.service(), f.type(), f.message(), why.toString(), delay);
        }
        claims.release(env);
        Map<String, String> back = new HashMap<>(d.headers());
        back.put(Headers.DL_FAILURES, Integer.toString(tries + 1));
        back.put(Headers.DL_ERROR_TYPE, f.type());
        back.put(Headers.DL_ERROR_MESSAGE, f.message());
        back.put(Headers.DL_ATTEMPTS, Integer.toString(f.attempts()));
        if (f.firstFailure() != null) {
            back.put(Headers.DL_FIRST_FAILURE, f.firstFailure());
        }
        return dev.courier.spi.support.Redeliveries.later(d, back, delay, s.transport(), s.scheduler()).exceptionally(e2 -> {
            log.error("could not give {} {} back for a later dead-letter try either ({}); rejecting it to the broker",
                    typeName, id, Inbound.unwrap(e2).toString());
            d.reject(true);
            return null;
        });
    }

    /** 5 s doubling per try, at most 5 minutes. */
    static Duration delay(int tries) {
        long millis = FIRST_RETRY.toMillis() << Math.min(tries, 20);
        return Duration.ofMillis(Math.min(millis, MAX_RETRY.toMillis()));
    }

    private void notifyRequester(Envelope request, Failure f) {
        Map<String, String> h = core.outgoing().replyHeaders(request, Ids.derived(s.service(), request.id(), 1_000_000),
                "error", null);
        h.put(Headers.DL_ERROR_TYPE, f.type());
        h.put(Headers.DL_ERROR_MESSAGE, f.message());
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        core.send(Address.reply(request.header(Headers.REPLY_TO)), h, body, h.get(Headers.TYPE)).exceptionally(e -> {
            log.debug("could not tell the requester of {} {} about its dead letter: {}", request.type(), request.id(),
                    e.toString());
            return null;
        });
    }
}
