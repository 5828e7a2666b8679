package dev.courier;

import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * The bus behind {@link dev.courier.MessageBus}: start and subscriptions, publishing (through
 * {@link Outgoing} and the outbound chain), the outbox seam, health and close. Request/reply is
 * {@link Requests}; the per-message consume pipeline is {@link Inbound}. Internal.
 */
final class BusCore {
    private static final Logger log = LoggerFactory.getLogger("dev.courier.MessageBus");

    private final BusSettings s;
    private final String replyAddress;
    private final Replies replies;
    private final Requests requests;
    private final Outgoing outgoing;
    private final Chains chains;
    private final List<Inbound> inbounds = new ArrayList<>();
    private final List<TransportSubscription> transportSubscriptions = new ArrayList<>();
    private final Set<String> produces;
    private final List<ExecutorService> owned;
    private final HandlerThreads handlerThreads = new HandlerThreads();
    /** The transport's protocol for the interceptors, asked once (a transport's abilities are fixed). */
    private final String protocol;
    private volatile boolean started;
    private volatile boolean closed;

    public BusCore(BusSettings settings, Set<String> produces, List<ExecutorService> ownedExecutors) {
        this.s = settings;
        this.produces = java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(produces)); // declaration order
        this.owned = List.copyOf(ownedExecutors);
        this.replyAddress = settings.service() + "." + settings.instanceId();
        this.replies = new Replies(this);
        this.outgoing = new Outgoing(settings, this.produces, log);
        this.requests = new Requests(this, replies, outgoing);
        this.chains = new Chains(settings.interceptors(), settings.listeners());
        this.protocol = dev.courier.spi.WireDescription.of(settings.transport()).protocol();
    }

    public BusSettings settings() {
        return s;
    }

    dev.courier.spi.PayloadCodec codec() {
        return s.codec();
    }

    Listeners listeners() {
        return chains.listeners();
    }

    Chains chains() {
        return chains;
    }

    /** Request/reply: sends requests and matches their replies. */
    Requests requests() {
        return requests;
    }

    String replyAddress() {
        return replyAddress;
    }

    Logger log() {
        return log;
    }

    /** The names of the types this service declared with produces(...). */
    public Set<String> produces() {
        return produces;
    }

    /**
     * The limits every message this bus makes is checked against, and every incoming one: the smaller
     * of Courier's own and the transport's (known once started; Courier's own before).
     */
    public Limits limits() {
        return outgoing.limits();
    }

    Outgoing outgoing() {
        return outgoing;
    }

    /** A message ready for the wire: where it goes, its headers and its bytes. */
    public record Prepared(Address to, Map<String, String> headers, byte[] body, String type) {
    }

    /**
     * Builds the wire form of a message without sending it (for an outbox): a root message, or a
     * child of the handler running on this thread. Checked against {@link #limits()} here, so a
     * message the transport cannot carry fails with LimitExceededException before it is stored.
     * For modules of Courier itself.
     */
    public Prepared prepare(Object message, Map<String, String> userHeaders) {
        HandlerContext ctx = HandlerContext.current();
        return outgoing.make(message, ctx != null ? ctx.nextId() : Ids.random(), ctx, userHeaders);
    }

    /**
     * For the transactional outbox: makes the wire form of a message like {@link #prepare}, runs it
     * through the outbound chain (its interceptors see {@code outbox() == true} and may change its
     * headers), checks the limits, and calls {@code store} with the final form as the chain's end — so
     * what is stored carries what the interceptors added (a tracing link's traceparent). Returns what
     * {@code store} returned; throws what it threw (unchecked), or {@link PublishException} when an
     * interceptor did not pass the message on (nothing is stored then). For modules of Courier itself.
     */
    public <R> R prepareThrough(Object message, Map<String, String> userHeaders, java.util.function.Function<Prepared, R> store) {
        HandlerContext ctx = HandlerContext.current();
        Prepared p = outgoing.makeUnchecked(message, ctx != null ? ctx.nextId() : Ids.random(), ctx, userHeaders);
        List<R> stored = new ArrayList<>(1);
        outbound(p, ctx != null ? ctx.envelope() : null, kindOf(p.to()), true, () -> {
            outgoing.check(p.type(), p.headers(), p.body());
            stored.add(store.apply(p));
            return CompletableFuture.completedFuture(null);
        });
        if (stored.isEmpty()) {
            throw new PublishException(p.type() + " " + p.headers().get(Headers.ID) + " was not written to the outbox:"
                    + " an outbound interceptor did not pass it on");
        }
        return stored.get(0);
    }

    /** Sends a prepared (or stored) message now; completes on the transport's confirm. */
    public CompletableFuture<Void> sendPrepared(Address to, Map<String, String> headers, byte[] body) {
        return send(to, headers, body, headers.get(Headers.TYPE));
    }

    public synchronized void start() {
        if (closed) {
            throw new CourierException("bus '" + s.service() + "' is closed; build a new one");
        }
        if (started) {
            return;
        }
        s.transport().start(new TransportContext(s.service(), s.instanceId(), s.publishTimeout(), replies::lost,
                s.startTimeout()));
        try {
            outgoing.transportLimits(s.transport().limits());
            transportSubscriptions.add(s.transport().subscribe(Address.reply(replyAddress), s.instanceId(),
                    Math.max(64, s.prefetch()), replies::onDelivery));
            for (BusSettings.Subscription sub : s.subscriptions()) {
                Inbound in = new Inbound(this, sub.type(), sub.handler());
                inbounds.add(in);
                Address a = sub.type().kind() == MessageType.Kind.EVENT ? Address.event(sub.type().name())
                        : Address.command(sub.type().name());
                transportSubscriptions.add(s.transport().subscribe(a, s.service(), s.prefetch(), in::onDelivery));
            }
        } catch (RuntimeException e) {
            s.transport().close();
            throw e;
        }
        started = true;
        log.info("bus '{}' (instance {}) started on {} with {} handler(s)", s.service(), s.instanceId(),
                s.transport().describe(), s.subscriptions().size());
    }

    // ---- outgoing ---------------------------------------------------------------------------------

    /**
     * Publishes an event or sends a command; never throws but for a null argument: a message that
     * cannot be made (no name, codec, headers, limits, an interceptor) fails the future. Inside a
     * handler it is held back, and one that cannot be made also fails the handler attempt.
     */
    public CompletableFuture<Void> publish(Object message, Map<String, String> userHeaders) {
        java.util.Objects.requireNonNull(message, "message");
        java.util.Objects.requireNonNull(userHeaders, "headers");
        HandlerContext ctx = HandlerContext.current();
        try {
            if (ctx != null) {
                return ctx.hold(message, userHeaders);
            }
            Prepared p = outgoing.makeUnchecked(message, Ids.random(), null, userHeaders);
            return outbound(p, null, kindOf(p.to()), () -> {
                outgoing.check(p.type(), p.headers(), p.body());
                return send(p.to(), p.headers(), p.body(), p.type());
            });
        } catch (RuntimeException e) {
            if (ctx != null) {
                ctx.failAttempt(e);
            }
            return CompletableFuture.failedFuture(notSent(message.getClass().getName(), e));
        }
    }

    /** What a publish that could not be made fails with: Courier's own exception, or a PublishException around another. */
    static CourierException notSent(String what, RuntimeException e) {
        return e instanceof CourierException ce ? ce
                : new PublishException(what + " was not sent: " + e, e);
    }

    /** Runs a message this bus made through the outbound chain; {@code end} checks and sends or holds it. */
    CompletableFuture<Void> outbound(Prepared p, dev.courier.Envelope parent, dev.courier.MessageKind kind,
                                     java.util.function.Supplier<CompletableFuture<Void>> end) {
        return outbound(p, parent, kind, false, end);
    }

    private CompletableFuture<Void> outbound(Prepared p, dev.courier.Envelope parent, dev.courier.MessageKind kind,
                                             boolean outbox, java.util.function.Supplier<CompletableFuture<Void>> end) {
        return chains.outbound(p.headers(), parent, kind, kind == dev.courier.MessageKind.REPLY ? p.to().name() : p.type(),
                s.service(), protocol, outbox, end);
    }

    static dev.courier.MessageKind kindOf(Address to) {
        return to.kind() == Address.Kind.EVENT ? dev.courier.MessageKind.EVENT : dev.courier.MessageKind.COMMAND;
    }

    /** Publishes now through the transport. */
    CompletableFuture<Void> send(Address to, Map<String, String> headers, byte[] body, String type) {
        if (!started || closed) {
            return CompletableFuture.failedFuture(new PublishException("bus '" + s.service() + "' is "
                    + (closed ? "closed" : "not started (call start())") + "; cannot publish " + type));
        }
        CompletableFuture<Void> f;
        try {
            f = s.transport().publish(to, headers, body);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(new PublishException("transport failed to publish " + type, e));
        }
        String id = headers.get(Headers.ID);
        if (log.isTraceEnabled()) {
            log.trace("publish {} {} to {}", type, id, to);
        }
        Listeners l = chains.listeners();
        if (!l.isEmpty()) {
            f = f.whenComplete((x, e) -> {
                if (e == null) {
                    l.published(type, id);
                }
            });
        }
        return f;
    }

    /** Sends held messages now; completes when all are confirmed. */
    CompletableFuture<Void> flush(List<Held> held) {
        if (held.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?>[] all = new CompletableFuture<?>[held.size()];
        for (int i = 0; i < all.length; i++) {
            Held h = held.get(i);
            CompletableFuture<Void> f = send(h.to(), h.headers(), h.body(), h.type());
            f.whenComplete((x, e) -> {
                if (e == null) {
                    h.sent().complete(null);
                } else {
                    h.sent().completeExceptionally(e);
                }
            });
            all[i] = f;
        }
        return CompletableFuture.allOf(all);
    }

    /** A handler attempt failed: what it held is dropped and its futures say so. */
    static void discard(List<Held> held, Throwable why) {
        for (Held h : held) {
            h.sent().completeExceptionally(new PublishException("not sent: the handler attempt that produced "
                    + h.type() + " failed", why));
        }
    }

    // ---- dead letters, health, close ------------------------------------------------------------------

    public DeadLetters deadLetters() {
        return new DeadLettersImpl(this, s.transport().ability(dev.courier.spi.DeadLetterBrowsing.class)
                .map(b -> b.deadLetters(s.service())).orElse(null));
    }

    public Health health() {
        if (closed) {
            return new Health(Health.State.CLOSED, false, false, "closed");
        }
        if (!started) {
            return new Health(Health.State.NOT_STARTED, false, false, s.transport().describe());
        }
        boolean live = transportSubscriptions.stream().allMatch(TransportSubscription::isActive);
        return new Health(Health.State.RUNNING, s.transport().isConnected(), live, s.transport().describe());
    }

    boolean isClosing() {
        return closed;
    }

    HandlerThreads handlerThreads() {
        return handlerThreads;
    }

    /**
     * Stops new deliveries, gives back what has not started, waits at most closeTimeout for the rest,
     * interrupts handlers still running then (their messages are not acked), fails requests in
     * flight, closes the transport and stops the bus's own executors without waiting for them.
     */
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        boolean cutOff = false;
        if (started) {
            log.info("bus '{}' (instance {}) closing", s.service(), s.instanceId());
            for (TransportSubscription sub : transportSubscriptions) {
                safe(sub::close);
            }
            cutOff = !Shutdown.drain(s.service(), inbounds, s.closeTimeout(), handlerThreads, log);
            replies.failAll(new ReplyLostException("bus '" + s.service() + "' closed before the reply arrived"));
        }
        safe(s.transport()::close);
        Shutdown.stop(owned, cutOff);
        if (started) {
            log.info("bus '{}' (instance {}) closed", s.service(), s.instanceId());
        }
    }

    static void safe(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            log.warn("ignored failure in a listener or close step: {}", e.toString());
        }
    }
}
