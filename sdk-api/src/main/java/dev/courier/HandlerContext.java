package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The context of one handler attempt: it holds what the handler publishes until the attempt
 * succeeds. Each attempt gets a fresh context, so a failed attempt sends nothing and the next one
 * derives the same ids again. Internal.
 */
final class HandlerContext implements MessageContext {
    private static final ThreadLocal<HandlerContext> CURRENT = new ThreadLocal<>();

    private final BusCore core;
    private final Envelope envelope;
    private final int attempt;
    private final List<Held> held = new ArrayList<>(2);
    private int sequence;
    private RuntimeException failed;

    HandlerContext(BusCore core, Envelope envelope, int attempt) {
        this.core = core;
        this.envelope = envelope;
        this.attempt = attempt;
    }

    static HandlerContext current() {
        return CURRENT.get();
    }

    void enter() {
        CURRENT.set(this);
    }

    void exit() {
        CURRENT.set(null); // cheaper than remove() on this hot path; the entry holds no context after exit
    }

    @Override
    public Envelope envelope() {
        return envelope;
    }

    @Override
    public String service() {
        return core.settings().service();
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public void publish(Event event) {
        publish(event, Map.of());
    }

    @Override
    public void publish(Event event, Map<String, String> headers) {
        hold(event, headers);
    }

    @Override
    public void send(Command command) {
        hold(command, Map.of());
    }

    CompletableFuture<Void> hold(Object message, Map<String, String> userHeaders) {
        // made, intercepted and checked here, in the handler: a message that cannot go out fails the attempt
        BusCore.Prepared p = core.outgoing().makeUnchecked(message, nextId(), this, userHeaders);
        return core.outbound(p, envelope, BusCore.kindOf(p.to()), () -> {
            core.outgoing().check(p.type(), p.headers(), p.body());
            return add(new Held(p.to(), p.headers(), p.body(), p.type(), new CompletableFuture<>()));
        });
    }

    @Override
    public void reply(Object reply) {
        String replyTo = envelope.header(Headers.REPLY_TO);
        if (replyTo == null) {
            throw new CourierException("cannot reply: " + envelope.type() + " " + envelope.id()
                    + " was not sent as a request (it has no " + Headers.REPLY_TO + " header)");
        }
        Map<String, String> h = core.outgoing().replyHeaders(envelope, nextId(), "ok", reply);
        byte[] body = core.codec().encode(reply);
        BusCore.Prepared p = new BusCore.Prepared(Address.reply(replyTo), h, body, h.get(Headers.TYPE));
        core.outbound(p, envelope, dev.courier.MessageKind.REPLY, () -> {
            core.outgoing().check(p.type(), h, body);
            return add(new Held(p.to(), h, body, p.type(), new CompletableFuture<>()));
        });
    }

    @Override
    public boolean isRequest() {
        return envelope.header(Headers.REPLY_TO) != null;
    }

    @Override
    public <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout) {
        return core.requests().request(command, replyType, timeout, this);
    }

    /**
     * A message the handler published through the bus (not through this context) could not be made:
     * its future failed, and the attempt fails with {@code e} when the handler returns, as it would
     * have had the handler used {@link #publish(Event)}. The first such failure wins.
     */
    void failAttempt(RuntimeException e) {
        if (failed == null) {
            failed = e;
        }
    }

    /** @return the failure recorded by {@link #failAttempt}, or null */
    RuntimeException failed() {
        return failed;
    }

    private CompletableFuture<Void> add(Held h) {
        held.add(h);
        return h.sent();
    }

    /** Ids derived from this service, the handled id and the position: a re-run produces the same ids. */
    String nextId() {
        return Ids.derived(core.settings().service(), envelope.id(), sequence++);
    }

    List<Held> held() {
        return held;
    }
}
