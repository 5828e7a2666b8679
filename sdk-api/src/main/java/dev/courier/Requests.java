package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Request/reply, the sending side: a request gets a fresh id, the bus's reply address and a
 * deadline, goes through the outbound chain like any message, and is registered with
 * {@link Replies} (which matches the reply and times it out) before it is sent. Internal.
 */
final class Requests {
    private final BusCore core;
    private final Replies replies;
    private final Outgoing outgoing;

    Requests(BusCore core, Replies replies, Outgoing outgoing) {
        this.core = core;
        this.replies = replies;
        this.outgoing = outgoing;
    }

    /**
     * Sends a request; never throws but for a null argument: what cannot be sent fails the future.
     * The future completes on the bus's reply thread.
     */
    <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout, HandlerContext parent) {
        java.util.Objects.requireNonNull(command, "command");
        java.util.Objects.requireNonNull(replyType, "replyType");
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return CompletableFuture.failedFuture(new PublishException("request " + command.getClass().getName()
                    + " was not sent: its timeout must be positive, was " + timeout));
        }
        try {
            return requestNow(command, replyType, timeout, parent);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(BusCore.notSent("request " + command.getClass().getName(), e));
        }
    }

    private <R> CompletableFuture<R> requestNow(Command command, Class<R> replyType, Duration timeout, HandlerContext parent) {
        if (parent == null) {
            parent = HandlerContext.current();
        }
        BusSettings s = core.settings();
        MessageType type = outgoing.typeOf(command);
        // Always a fresh id, also inside a handler: a retried attempt must ask again and get an answer,
        // and a derived id would be suppressed as a duplicate by the responder (docs/guarantees.md).
        String id = Ids.random();
        Map<String, String> h = outgoing.headers(type.name(), id, parent, Map.of());
        long deadline = s.clock().millis() + timeout.toMillis();
        h.put(Headers.REPLY_TO, core.replyAddress());
        h.put(Headers.DEADLINE, Long.toString(deadline));
        byte[] body = core.codec().encode(command);
        BusCore.Prepared p = new BusCore.Prepared(Address.command(type.name()), h, body, type.name());
        List<CompletableFuture<R>> reply = new ArrayList<>(1);
        long t0 = System.nanoTime();
        core.outbound(p, parent != null ? parent.envelope() : null, MessageKind.REQUEST, () -> {
            outgoing.check(type.name(), h, body);
            reply.add(replies.register(id, type.name(), replyType, timeout));
            CompletableFuture<Void> sent = core.send(p.to(), h, body, type.name());
            sent.whenComplete((x, e) -> {
                if (e != null) {
                    replies.fail(id, new PublishException("request " + type.name() + " " + id + " was not sent: "
                            + e.getMessage(), e));
                }
            });
            return sent;
        });
        if (reply.isEmpty()) {
            return CompletableFuture.failedFuture(new PublishException("request " + type.name() + " " + id
                    + " was not sent: an outbound interceptor did not pass it on"));
        }
        CompletableFuture<R> r = reply.get(0);
        Listeners l = core.listeners();
        if (!l.isEmpty()) {
            r.whenComplete((x, e) -> l.replied(s.service(), type.name(), Duration.ofNanos(System.nanoTime() - t0),
                    e == null ? null : Inbound.unwrap(e)));
        }
        return r;
    }
}
