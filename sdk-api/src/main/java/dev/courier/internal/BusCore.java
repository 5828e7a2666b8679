package dev.courier.internal;

import dev.courier.BusListener;
import dev.courier.Command;
import dev.courier.CourierException;
import dev.courier.DeadLetters;
import dev.courier.Envelope;
import dev.courier.Event;
import dev.courier.Health;
import dev.courier.PublishException;
import dev.courier.RequestTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * The bus behind {@link dev.courier.MessageBus}: outgoing headers, publishing, request/reply,
 * subscriptions and close. The per-message consume pipeline is {@link Inbound}. Internal.
 */
public final class BusCore {
    private static final Logger log = LoggerFactory.getLogger("dev.courier.MessageBus");

    private final BusSettings s;
    private final String replyAddress;
    private final Replies replies;
    private final List<Inbound> inbounds = new ArrayList<>();
    private final List<TransportSubscription> transportSubscriptions = new ArrayList<>();
    private final Set<String> undeclaredWarned = ConcurrentHashMap.newKeySet();
    private final Set<String> produces;
    private final List<ExecutorService> owned;
    private final HandlerThreads handlerThreads = new HandlerThreads();
    private volatile Limits limits = Limits.DEFAULTS;
    private volatile Limits capacity = Limits.DEFAULTS;
    private volatile boolean started;
    private volatile boolean closed;

    public BusCore(BusSettings settings, Set<String> produces, List<ExecutorService> ownedExecutors) {
        this.s = settings;
        this.produces = Set.copyOf(produces);
        this.owned = List.copyOf(ownedExecutors);
        this.replyAddress = settings.service() + "." + settings.instanceId();
        this.replies = new Replies(this);
    }

    public BusSettings settings() {
        return s;
    }

    JsonCodec codec() {
        return s.codec();
    }

    BusListener listener() {
        return s.listener();
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
        return limits;
    }

    /** What the transport itself can carry: dead letters are fitted to it. */
    Limits capacity() {
        return capacity;
    }

    /** Checks a message this bus makes, once, where it is made; throws LimitExceededException. */
    void checkLimits(String type, Map<String, String> headers, byte[] body) {
        LimitCheck.check(limits, type + " " + LimitCheck.shortened(headers.get(Headers.ID), 40), headers, body);
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
        MessageType type = typeOf(message);
        HandlerContext ctx = HandlerContext.current();
        String id = ctx != null ? ctx.nextId() : Ids.random();
        Map<String, String> h = outgoingHeaders(type.name(), id, ctx, userHeaders);
        Address to = type.kind() == MessageType.Kind.EVENT ? Address.event(type.name()) : Address.command(type.name());
        byte[] body = codec().encode(message);
        checkLimits(type.name(), h, body);
        return new Prepared(to, h, body, type.name());
    }

    /** Sends a prepared (or stored) message now; completes on the transport's confirm. */
    public CompletableFuture<Void> sendPrepared(Address to, Map<String, String> headers, byte[] body) {
        return send(to, headers, body, headers.get(Headers.TYPE));
    }

    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("bus '" + s.service() + "' is closed; build a new one");
        }
        if (started) {
            return;
        }
        s.transport().start(new TransportContext(s.service(), s.instanceId(), s.publishTimeout(), replies::lost));
        try {
            capacity = s.transport().limits();
            limits = Limits.DEFAULTS.min(capacity);
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

    MessageType typeOf(Object message) {
        if (message == null) {
            throw new IllegalArgumentException("message must not be null");
        }
        MessageType type = s.registry().resolve(message.getClass());
        if (!produces.contains(type.name()) && undeclaredWarned.add(type.name())) {
            String text = "service '" + s.service() + "' publishes " + type.name() + " (" + message.getClass().getName()
                    + ") without declaring it with produces(...); the contract will miss it";
            if (s.strictProduces()) {
                undeclaredWarned.remove(type.name());
                throw new CourierException(text);
            }
            log.warn(text);
        }
        return type;
    }

    /** Headers of a new message; {@code parent} (may be null) supplies correlation and trace context. */
    Map<String, String> outgoingHeaders(String type, String id, HandlerContext parent, Map<String, String> user) {
        Map<String, String> h = new HashMap<>(16);
        if (!user.isEmpty()) {
            String own = user.get(Headers.ID);
            if (own != null) {
                if (own.isBlank()) {
                    throw new IllegalArgumentException("an explicit message id must not be blank");
                }
                id = own; // its size is checked in bytes with the rest of the message (checkLimits)
            }
            for (Map.Entry<String, String> e : user.entrySet()) {
                String k = e.getKey();
                if (k.equals(Headers.ID)) {
                    continue;
                }
                if (!Headers.isValidName(k)) {
                    throw new IllegalArgumentException("header name '" + k + "' is not a valid CloudEvents attribute"
                            + " name: use lower-case a-z and 0-9 only, at most 20 characters");
                }
                if (Headers.RESERVED.contains(k)) {
                    throw new IllegalArgumentException("header name '" + k + "' is reserved by Courier/CloudEvents");
                }
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("header '" + k + "' has a null value");
                }
                h.put(k, e.getValue());
            }
        }
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, s.service());
        h.put(Headers.TYPE, type);
        h.put(Headers.TIME, Times.now(s.clock()));
        h.put(Headers.SPECVERSION, Headers.SPEC_VERSION_1_0);
        h.put(Headers.DATACONTENTTYPE, JsonCodec.CONTENT_TYPE);
        if (parent != null) {
            Envelope p = parent.envelope();
            h.put(Headers.CORRELATION_ID, p.correlationId() != null ? p.correlationId() : p.id());
            h.put(Headers.CAUSATION_ID, p.id());
            copy(p, h, Headers.TRACEPARENT);
            copy(p, h, Headers.TRACESTATE);
        } else {
            h.put(Headers.CORRELATION_ID, id);
        }
        return h;
    }

    private static void copy(Envelope from, Map<String, String> to, String name) {
        String v = from.header(name);
        if (v != null && !to.containsKey(name)) {
            to.put(name, v);
        }
    }

    Map<String, String> replyHeaders(Envelope request, String id, String status, Object reply) {
        Map<String, String> h = new HashMap<>(16);
        h.put(Headers.ID, id);
        h.put(Headers.SOURCE, s.service());
        h.put(Headers.TYPE, replyType(request, reply));
        h.put(Headers.TIME, Times.now(s.clock()));
        h.put(Headers.SPECVERSION, Headers.SPEC_VERSION_1_0);
        h.put(Headers.DATACONTENTTYPE, JsonCodec.CONTENT_TYPE);
        h.put(Headers.CORRELATION_ID, request.correlationId() != null ? request.correlationId() : request.id());
        h.put(Headers.CAUSATION_ID, request.id());
        h.put(Headers.REPLY_STATUS, status);
        copy(request, h, Headers.TRACEPARENT);
        copy(request, h, Headers.TRACESTATE);
        return h;
    }

    private static String replyType(Envelope request, Object reply) {
        if (reply != null && reply.getClass().isAnnotationPresent(dev.courier.MessageName.class)) {
            return reply.getClass().getAnnotation(dev.courier.MessageName.class).value();
        }
        return request.type() + ".reply";
    }

    public CompletableFuture<Void> publish(Object message, Map<String, String> userHeaders) {
        HandlerContext ctx = HandlerContext.current();
        if (ctx != null) {
            return ctx.hold(message, userHeaders);
        }
        MessageType type = typeOf(message);
        Map<String, String> h = outgoingHeaders(type.name(), Ids.random(), null, userHeaders);
        Address to = type.kind() == MessageType.Kind.EVENT ? Address.event(type.name()) : Address.command(type.name());
        byte[] body = codec().encode(message);
        checkLimits(type.name(), h, body);
        return send(to, h, body, type.name());
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
        BusListener l = s.listener();
        if (l != BusListener.NONE) {
            f = f.whenComplete((x, e) -> {
                if (e == null) {
                    safe(() -> l.published(type, id));
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

    // ---- request/reply ------------------------------------------------------------------------------

    public <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout, HandlerContext parent) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("request timeout must be positive, was " + timeout);
        }
        if (parent == null) {
            parent = HandlerContext.current();
        }
        MessageType type = typeOf(command);
        // Always a fresh id, also inside a handler: a retried attempt must ask again and get an answer,
        // and a derived id would be suppressed as a duplicate by the responder (docs/guarantees.md).
        String id = Ids.random();
        Map<String, String> h = outgoingHeaders(type.name(), id, parent, Map.of());
        long deadline = s.clock().millis() + timeout.toMillis();
        h.put(Headers.REPLY_TO, replyAddress);
        h.put(Headers.DEADLINE, Long.toString(deadline));
        byte[] body = codec().encode(command);
        checkLimits(type.name(), h, body);
        CompletableFuture<R> reply = replies.register(id, type.name(), replyType, timeout);
        send(Address.command(type.name()), h, body, type.name()).whenComplete((x, e) -> {
            if (e != null) {
                replies.fail(id, new PublishException("request " + type.name() + " " + id + " was not sent: "
                        + e.getMessage(), e));
            }
        });
        return reply;
    }

    RequestTimeoutException timeout(String type, String id, Duration timeout) {
        return new RequestTimeoutException("no reply to " + type + " " + id + " within " + timeout);
    }

    // ---- dead letters, health, close ------------------------------------------------------------------

    public DeadLetters deadLetters() {
        return new DeadLettersImpl(this, s.transport().deadLetters(s.service()));
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
            replies.failAll(new CourierException("bus '" + s.service() + "' closed before the reply arrived"));
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
