package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.PublishException;
import dev.courier.PublishTimeoutException;
import dev.courier.spi.Address;
import dev.courier.spi.Backoff;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Limits;
import dev.courier.spi.RawMessage;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client transport ({@code ws://host:port/} or {@code wss://}): a Courier service or tool
 * connected to a Courier WebSocket hub ({@code WebSocketHub}, module {@code courier-websocket-hub}). One WebSocket connection carries publishes (each confirmed by
 * the hub), subscriptions and their deliveries, and acks.
 *
 * <p>The connection comes back by itself: after a drop it reconnects with backoff, subscribes again
 * and sends again every publish not yet confirmed (same message id, so consumers suppress the
 * duplicate); a publish still unconfirmed after the publish timeout fails with
 * {@link PublishTimeoutException}. Deliveries not acked when the connection dropped are given to
 * another consumer by the hub.
 *
 * <p>The token is sent as {@code Authorization: Bearer}; it can come from {@link Builder#token} or
 * from the URI's {@code token} query parameter (which is removed before connecting and never shown).
 */
public final class WebSocketTransport implements Transport, dev.courier.spi.DeadLetterBrowsing,
        dev.courier.spi.WireDescription {
    private static final Logger log = LoggerFactory.getLogger(WebSocketTransport.class);

    /**
     * How long {@code start()} waits for the hub by default.
     *
     */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Publishes waiting for the hub's confirm at once, by default.
     *
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 50_000;
    /**
     * The largest message accepted from the hub by default, in bytes (16 MiB).
     *
     */
    public static final int DEFAULT_MAX_INCOMING_MESSAGE_BYTES = 16 * 1024 * 1024;

    private final URI uri;
    private final String token;
    private final SSLContext ssl;
    private final Duration connectTimeout;
    private final Duration reconnectMin;
    private final Duration reconnectMax;
    private final int maxInFlight;
    private final int maxIncoming;
    private final Duration pingInterval;
    /** The user's hook on each Java-WebSocket client (issue 15), or null. */
    private final java.util.function.Consumer<? super org.java_websocket.client.WebSocketClient> customizer;

    private final ScheduledExecutorService timer;
    /** Completes futures off the read thread, so a continuation that waits on the hub cannot stall reading. */
    private final java.util.concurrent.ExecutorService completer;
    private final AtomicLong seq = new AtomicLong();
    private final AtomicLong epochs = new AtomicLong();
    private final ConcurrentSkipListMap<Long, PendingPublish> pending = new ConcurrentSkipListMap<>();
    private final Map<String, PendingRequest> requests = new ConcurrentHashMap<>();
    private final Map<String, ClientSubscription> subs = new ConcurrentHashMap<>();
    private volatile ClientConnection current;
    private volatile boolean connected;
    private volatile boolean started;
    private volatile boolean closed;
    private volatile Duration publishTimeout = Duration.ofSeconds(10);
    private volatile int hubMaxMessageBytes = Frames.DEFAULT_MAX_MESSAGE_BYTES;
    private volatile int hubMaxAttributeBytes = Frames.DEFAULT_MAX_ATTRIBUTE_BYTES;
    private volatile String source = "/courier/client";
    /** What the hub's backbone can do, as its welcome says; none until a welcome names them (issue 13). */
    private volatile Set<Capability> hubCapabilities = Set.of();
    /** What the hub's backbone can carry, as its welcome says; null when it did not say. */
    private volatile Limits backboneLimits;
    private volatile CompletableFuture<Void> welcome = new CompletableFuture<>();
    /** The shared jittered backoff (issue 10.8): clients that lost one hub do not come back in step. */
    private final Backoff backoff;
    /** Tests: told every reconnect delay the client chose, before it waits. */
    private final java.util.function.LongConsumer reconnectScheduled;
    private volatile double hubRate = Frames.DEFAULT_MESSAGES_PER_SECOND;
    /** Publishes the hub refused as rate_limited, sent again one per rate interval in publish order. */
    private final java.util.concurrent.ConcurrentSkipListSet<Long> rateWaiting = new java.util.concurrent.ConcurrentSkipListSet<>();
    private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();

    private static final class PendingPublish {
        final String text;
        volatile boolean rateLimited;
        final CompletableFuture<Void> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        PendingPublish(String text) {
            this.text = text;
        }
    }

    private static final class PendingRequest {
        final ClientConnection conn;
        final CompletableFuture<JsonNode> future = new CompletableFuture<>();

        PendingRequest(ClientConnection conn) {
            this.conn = conn;
        }
    }

    private WebSocketTransport(Builder b, URI cleanUri, String token) {
        this.uri = cleanUri;
        this.token = token;
        this.ssl = b.ssl;
        this.connectTimeout = b.connectTimeout;
        this.reconnectMin = b.reconnectMin;
        this.reconnectMax = b.reconnectMax;
        this.maxInFlight = b.maxInFlight;
        this.maxIncoming = b.maxIncoming;
        this.pingInterval = b.pingInterval;
        this.customizer = b.customizer;
        Backoff.Builder backoffSettings = Backoff.custom().initialDelay(reconnectMin).maxDelay(reconnectMax);
        if (b.reconnectRandom != null) {
            backoffSettings.random(b.reconnectRandom);
        }
        this.backoff = backoffSettings.build();
        this.reconnectScheduled = b.reconnectScheduled;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "courier-ws-client-timer");
            t.setDaemon(true);
            return t;
        });
        this.completer = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "courier-ws-client-confirms");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A builder for a hub URI ({@code ws://host:port/} or {@code wss://...}).
     *
     * @param uri the hub's URI; checked by {@link Builder#build()}
     * @return a new builder
     */
    public static Builder builder(URI uri) {
        return new Builder(uri);
    }

    /**
     * A transport with defaults; the token, if any, from the URI's {@code token} query parameter.
     *
     * @param uri the hub's URI, optionally with {@code ?token=...}
     * @return an unstarted transport
     * @throws dev.courier.ConfigurationException naming every invalid setting at once
     */
    public static WebSocketTransport of(URI uri) {
        return builder(uri).build();
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    @Override
    public void start(TransportContext context) {
        if (closed) {
            throw new IllegalStateException("WebSocket transport is closed; create a new one");
        }
        publishTimeout = context.publishTimeout();
        source = "/courier/" + context.service() + "/" + context.instanceId();
        try {
            connect();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        try {
            welcome.get(connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new CourierException("interrupted while connecting to the hub " + describe(), e);
        } catch (ExecutionException | TimeoutException e) {
            ClientConnection c = current;
            String why = e instanceof TimeoutException ? "no welcome within " + connectTimeout
                    : e.getCause().getMessage();
            close();
            throw new CourierException("cannot connect to the hub " + describe() + ": " + why
                    + (c != null && c.lastError != null && !why.contains(c.lastError) ? " (" + c.lastError + ")" : ""), e);
        }
        started = true;
        log.info("connected to hub {}", describe());
    }

    private void connect() {
        if (closed) {
            return;
        }
        Map<String, String> headers = new HashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        ClientConnection c = new ClientConnection(this, uri, headers, maxIncoming, (int) connectTimeout.toMillis(),
                epochs.incrementAndGet());
        c.setTcpNoDelay(true);
        c.setConnectionLostTimeout((int) Math.max(1, pingInterval.toSeconds()));
        if (ssl != null) {
            c.setSocketFactory(ssl.getSocketFactory());
        }
        if (customizer != null) {
            try {
                customizer.accept(c);
            } catch (RuntimeException e) {
                if (!started) {
                    throw e; // start() fails with it
                }
                log.error("the client customizer failed on a reconnect to {} ({}); connecting without it", describe(),
                        e.toString());
            }
        }
        current = c;
        c.connect();
    }

    /** True while {@code c} is the live connection of an open transport (its deliveries can be settled). */
    boolean isCurrent(ClientConnection c) {
        return c == current && connected && !closed;
    }

    boolean isClosed() {
        return closed;
    }

    String source() {
        return source;
    }

    // ---- frames from the hub ---------------------------------------------------------------------

    void onFrame(ClientConnection c, String text) {
        Frames.Frame f;
        try {
            f = Frames.parse(text);
        } catch (Frames.MalformedFrame e) {
            log.warn("hub {} sent an unreadable frame: {}", describe(), e.getMessage());
            return;
        }
        if (f.isControl()) {
            String seqText = f.attr(Frames.SEQ);
            switch (f.type()) {
                case Frames.WELCOME:
                    onWelcome(c, f.control());
                    return;
                case Frames.CONFIRM:
                    settle(seqText, f.control(), null, null);
                    return;
                case Frames.ERROR: {
                    String code = Frames.text(f.control(), "code");
                    String message = Frames.text(f.control(), "message");
                    if ("rate_limited".equals(code) && seqText != null && seqText.startsWith("p")) {
                        rateLimited(seqText);
                        return;
                    }
                    if (seqText == null) {
                        log.warn("hub {} reports {}: {}", describe(), code, message);
                    } else {
                        settle(seqText, null, code, message);
                    }
                    return;
                }
                default:
                    log.debug("ignoring control frame {} from hub", f.type());
                    return;
            }
        }
        String subId = f.attr(Frames.SUB);
        String tag = f.attr(Frames.TAG);
        ClientSubscription s = subId == null ? null : subs.get(subId);
        if (s == null || s.closed) {
            if (tag != null) {
                ObjectNode d = Frames.data();
                d.put("tag", Long.parseLong(tag));
                d.put("requeue", true);
                c.sendText(Frames.control(Frames.REJECT, source, null, d));
            }
            return;
        }
        ClientDelivery d = new ClientDelivery(this, c, s.address, s.group, tag, Map.copyOf(f.headers()), f.body(),
                "true".equals(f.attr(Frames.REDELIVERED)));
        try {
            s.callback.onDelivery(d);
        } catch (RuntimeException e) {
            log.error("delivery callback failed for {}; message given back to the hub", s.address, e);
            d.reject(true);
        }
    }

    private void onWelcome(ClientConnection c, JsonNode data) {
        if (c != current) {
            return;
        }
        hubMaxMessageBytes = data.path("maxMessageBytes").asInt(hubMaxMessageBytes);
        hubRate = data.path("messagesPerSecond").asDouble(hubRate);
        hubMaxAttributeBytes = data.path("maxAttributeBytes").asInt(hubMaxAttributeBytes);
        hubCapabilities = capabilitiesOf(data.get("capabilities"));
        backboneLimits = limitsOf(data.get("limits"));
        connected = true;
        backoff.connected();
        if (started) {
            log.info("reconnected to hub {}", describe());
        }
        for (ClientSubscription s : subs.values()) {
            if (!s.closed) {
                request(c, Frames.SUBSCRIBE, s.subscribeData()).whenComplete((x, e) -> {
                    if (e != null) {
                        log.warn("hub {} refused to resubscribe {}: {}", describe(), s.address, e.getMessage());
                    }
                });
            }
        }
        rateWaiting.clear();
        for (PendingPublish p : pending.values()) {
            c.sendText(p.text);
        }
        welcome.complete(null);
    }

    /** The welcome's {@code capabilities}: the names this client knows; none when the hub did not say (an old hub). */
    private static Set<Capability> capabilitiesOf(JsonNode names) {
        EnumSet<Capability> out = EnumSet.noneOf(Capability.class);
        if (names != null && names.isArray()) {
            for (JsonNode n : names) {
                for (Capability c : Capability.values()) {
                    if (c.name().equals(n.asText())) {
                        out.add(c);
                    }
                }
            }
        }
        return java.util.Collections.unmodifiableSet(out);
    }

    /** The welcome's {@code limits} (the hub's backbone's), or null when absent or not valid limits. */
    private static Limits limitsOf(JsonNode l) {
        if (l == null || !l.isObject()) {
            return null;
        }
        try {
            return new Limits(l.path("maxAttributeBytes").asInt(Integer.MAX_VALUE),
                    l.path("maxHeaderValueBytes").asInt(Integer.MAX_VALUE), l.path("maxHeadersBytes").asInt(Integer.MAX_VALUE),
                    l.path("maxBodyBytes").asInt(Integer.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            log.warn("hub sent limits below Courier's minimums ({}); ignored", e.getMessage());
            return null;
        }
    }

    /**
     * The hub refused a publish for its rate limit (issue 11.11): like every transport, the client applies
     * back-pressure instead of failing — the publish waits, with those made after it, and is sent again
     * one per rate interval in publish order; the publish timeout still bounds it.
     */
    private void rateLimited(String seqText) {
        long n;
        try {
            n = Long.parseLong(seqText.substring(1));
        } catch (NumberFormatException e) {
            return;
        }
        PendingPublish p = pending.get(n);
        if (p != null) {
            p.rateLimited = true;
            rateWaiting.add(n);
            scheduleDrain();
        }
    }

    private void scheduleDrain() {
        if (drainScheduled.compareAndSet(false, true)) {
            long interval = Math.max(1, (long) Math.ceil(1000 / Math.max(0.001, hubRate)));
            try {
                timer.schedule(this::drain, interval, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                drainScheduled.set(false); // closing
            }
        }
    }

    private void drain() {
        drainScheduled.set(false);
        ClientConnection c = current;
        if (!connected || c == null) {
            return; // the welcome sends every pending publish again
        }
        Long n = rateWaiting.pollFirst();
        while (n != null && !pending.containsKey(n)) {
            n = rateWaiting.pollFirst(); // confirmed or timed out meanwhile
        }
        if (n != null) {
            PendingPublish p = pending.get(n);
            if (p != null) {
                c.sendText(p.text);
            }
        }
        if (!rateWaiting.isEmpty()) {
            scheduleDrain();
        }
    }

    /** Completes the publish or request {@code seqText}: with {@code ok}, or failed with the hub's error {@code code}. */
    private void settle(String seqText, JsonNode ok, String code, String message) {
        String error = code == null ? null : code + ": " + message;
        if (seqText == null || seqText.isEmpty()) {
            return;
        }
        if (seqText.charAt(0) == 'p') {
            PendingPublish p;
            try {
                p = pending.remove(Long.parseLong(seqText.substring(1)));
            } catch (NumberFormatException e) {
                return;
            }
            if (p != null) {
                ScheduledFuture<?> t = p.timeout;
                if (t != null) {
                    t.cancel(false);
                }
                complete(() -> {
                    if (error == null) {
                        p.future.complete(null);
                    } else {
                        p.future.completeExceptionally("unroutable".equals(code)
                                ? new dev.courier.UnroutableException("hub refused the message: " + error)
                                : new PublishException("hub refused the message: " + error));
                    }
                });
            }
            return;
        }
        PendingRequest r = requests.remove(seqText);
        if (r != null) {
            complete(() -> {
                if (error == null) {
                    r.future.complete(ok);
                } else {
                    r.future.completeExceptionally(new CourierException("hub refused: " + error));
                }
            });
        }
    }

    private void complete(Runnable r) {
        try {
            completer.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            r.run();
        }
    }

    void onClosed(ClientConnection c, int code, String reason) {
        if (c != current) {
            return;
        }
        connected = false;
        String why = "connection to hub closed (" + code + (reason == null || reason.isEmpty() ? "" : ": " + reason) + ")";
        for (Iterator<Map.Entry<String, PendingRequest>> it = requests.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, PendingRequest> e = it.next();
            if (e.getValue().conn == c) {
                it.remove();
                e.getValue().future.completeExceptionally(new CourierException(why));
            }
        }
        if (!started || closed) {
            welcome.completeExceptionally(new CourierException(refusal(reason, c.lastError, why)));
            return;
        }
        welcome = new CompletableFuture<>();
        long delay = backoff.nextDelay().toMillis();
        log.warn("{}; reconnecting in {} ms", why, delay);
        if (reconnectScheduled != null) {
            reconnectScheduled.accept(delay);
        }
        try {
            timer.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private static String refusal(String reason, String lastError, String fallback) {
        String text = (reason == null ? "" : reason) + " " + (lastError == null ? "" : lastError);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("status code received: (\\d{3})").matcher(text);
        if (m.find()) {
            String status = m.group(1);
            String meaning = status.equals("401") ? "authentication refused (check the token)"
                    : status.equals("403") ? "forbidden (origin not allowed)"
                    : status.equals("429") ? "too many connections for this principal"
                    : status.equals("503") ? "hub at its connection limit"
                    : status.equals("400") ? "bad handshake (subprotocol cloudevents.json required)" : "refused";
            return "hub answered the handshake with HTTP " + status + ": " + meaning;
        }
        return fallback + (lastError != null ? " — " + lastError : "");
    }

    // ---- requests --------------------------------------------------------------------------------

    /** Sends a control frame with a sequence number; completes with the confirm's data or fails with the error. */
    CompletableFuture<JsonNode> request(ClientConnection c, String type, ObjectNode data) {
        if (c == null || !connected || c != current) {
            return CompletableFuture.failedFuture(new CourierException("not connected to the hub " + describe()));
        }
        String s = "c" + seq.incrementAndGet();
        PendingRequest r = new PendingRequest(c);
        requests.put(s, r);
        if (!c.sendText(Frames.control(type, source, s, data))) {
            requests.remove(s);
            return CompletableFuture.failedFuture(new CourierException("not connected to the hub " + describe()));
        }
        ScheduledFuture<?> t = timer.schedule(() -> {
            if (requests.remove(s, r)) {
                r.future.completeExceptionally(new CourierException("hub did not answer " + type + " within " + publishTimeout));
            }
        }, publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        r.future.whenComplete((x, e) -> t.cancel(false));
        return r.future;
    }

    private JsonNode await(CompletableFuture<JsonNode> f, String what) {
        try {
            return f.get(publishTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            throw new CourierException(what + " failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new CourierException(what + " timed out after " + publishTimeout, e);
        }
    }

    // ---- Transport -------------------------------------------------------------------------------

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        if (closed) {
            return CompletableFuture.failedFuture(new PublishException("WebSocket transport is closed; cannot publish to " + to));
        }
        for (String k : headers.keySet()) {
            if (k.startsWith(Frames.FRAME_PREFIX) || k.equals("data") || k.equals("data_base64")) {
                return CompletableFuture.failedFuture(new PublishException("header '" + k
                        + "' is reserved by the WebSocket binding (courierws*, data, data_base64)"));
            }
        }
        if (pending.size() >= maxInFlight) {
            return CompletableFuture.failedFuture(new PublishException(pending.size()
                    + " publishes are waiting for the hub's confirm (limit " + maxInFlight + "); " + to + " refused"));
        }
        long n = seq.incrementAndGet();
        Map<String, String> fa = new LinkedHashMap<>(4);
        fa.put(Frames.TO, to.toString());
        fa.put(Frames.SEQ, "p" + n);
        String text = Frames.message(headers, body, fa);
        int limit = hubMaxMessageBytes;
        if ((long) text.length() * 3 > limit && text.getBytes(StandardCharsets.UTF_8).length > limit) {
            return CompletableFuture.failedFuture(new PublishException("message to " + to + " is larger than the hub's"
                    + " limit of " + limit + " bytes"));
        }
        PendingPublish p = new PendingPublish(text);
        pending.put(n, p);
        long timeoutMillis = publishTimeout.toMillis();
        p.timeout = timer.schedule(() -> {
            if (pending.remove(n, p)) {
                rateWaiting.remove(n);
                p.future.completeExceptionally(new PublishTimeoutException("no confirm from the hub for " + to
                        + " within the publish timeout of " + publishTimeout + (connected ? "" : " (not connected)")
                        + (p.rateLimited ? " (held back by the hub's rate limit of " + hubRate + " messages/s)" : "")));
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        ClientConnection c = current;
        if (connected && c != null) {
            if (!rateWaiting.isEmpty()) {
                rateWaiting.add(n); // behind the publishes waiting for the rate limit, in order
                scheduleDrain();
            } else {
                c.sendText(text);
            }
        }
        return p.future;
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed) {
            throw new IllegalStateException("WebSocket transport is closed");
        }
        ClientSubscription s = new ClientSubscription("s" + seq.incrementAndGet(), address.withoutGroup(), group,
                Math.max(1, prefetch), callback);
        subs.put(s.id, s);
        try {
            await(request(current, Frames.SUBSCRIBE, s.subscribeData()), "subscribing to " + address + " as " + group);
        } catch (RuntimeException e) {
            subs.remove(s.id);
            throw e;
        }
        return s;
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return new DeadLetterChannel() {
            @Override
            public List<RawMessage> browse(int max) {
                ObjectNode d = Frames.data();
                d.put("service", service);
                d.put("max", max);
                JsonNode r = await(request(current, Frames.DL_BROWSE, d), "listing the dead letters of " + service);
                List<RawMessage> out = new ArrayList<>();
                for (JsonNode m : r.path("messages")) {
                    Map<String, String> h = new HashMap<>();
                    byte[] body = new byte[0];
                    for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        if (e.getKey().equals("data_base64")) {
                            body = Base64.getDecoder().decode(e.getValue().asText());
                        } else {
                            h.put(e.getKey(), e.getValue().asText());
                        }
                    }
                    out.add(new RawMessage(h, body));
                }
                return out;
            }

            @Override
            public boolean remove(String messageId) {
                ObjectNode d = Frames.data();
                d.put("service", service);
                d.put("id", messageId);
                return await(request(current, Frames.DL_REMOVE, d), "removing dead letter " + messageId)
                        .path("removed").asBoolean(false);
            }
        };
    }

    /**
     * The hub's limits, as its welcome states them: attributes {@code maxAttributeBytes} (default 256
     * bytes); header values 16 KiB and all headers 64 KiB (at most half the frame); the body
     * {@code maxMessageBytes} (default 1 MiB + 64 KiB) less 8 KiB for the envelope — a JSON body
     * travels as it is. A body that is not one JSON value travels in base64 (4/3 of its size): the
     * exact frame is measured again before each send, and a publish over the hub's frame size fails
     * then, naming the limit. Each limit is at most the hub's backbone's, when the welcome states them
     * ({@code limits}).
     */
    @Override
    public Limits limits() {
        int frame = hubMaxMessageBytes;
        int headers = Math.max(Limits.MIN_HEADERS_BYTES, Math.min(64 * 1024, frame / 2));
        int attribute = Math.max(Limits.MIN_ATTRIBUTE_BYTES, Math.min(hubMaxAttributeBytes, headers));
        Limits own = new Limits(attribute, Math.max(Limits.MIN_HEADER_VALUE_BYTES, Math.min(headers, 16 * 1024)), headers,
                Math.max(1, frame - 8 * 1024));
        Limits backbone = backboneLimits;
        return backbone == null ? own : own.min(backbone);
    }

    @Override
    public boolean isConnected() {
        return connected && !closed;
    }

    /**
     * What the hub's backbone can do, as the hub's welcome says ({@code capabilities}; the client itself
     * supports every capability, so this is the intersection). Learnt at {@link #start}; a reconnect to a
     * hub that says otherwise changes it. A hub that does not say (one from before this field) gets the
     * conservative default: no capability.
     */
    @Override
    public Set<Capability> capabilities() {
        return hubCapabilities;
    }

    @Override
    public String describe() {
        return uri.toString();
    }

    /** Publishes waiting for the hub's confirm, against {@code maxInFlight} (counting them walks the map: for gauges). */
    @Override
    public PublishWindow publishWindow() {
        return new PublishWindow() {
            @Override
            public int inFlight() {
                return pending.size();
            }

            @Override
            public int capacity() {
                return maxInFlight;
            }
        };
    }

    @Override
    public String protocol() {
        return "ws";
    }

    @Override
    public String host() {
        return uri.getHost() + ":" + (uri.getPort() > 0 ? uri.getPort() : "wss".equals(uri.getScheme()) ? 443 : 80);
    }

    /** {@code courierwsto} (the frame attribute naming the address) and, for consumers, the subscribe {@code group}. */
    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("courierwsto", address.toString());
        if (group != null) {
            m.put("group", group);
        }
        return m;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        long deadline = System.nanoTime() + Math.min(publishTimeout.toNanos(), TimeUnit.SECONDS.toNanos(10));
        while (!pending.isEmpty() && connected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5); // close() blocks by contract; the deadline bounds it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closed = true;
        for (ClientSubscription s : subs.values()) {
            s.closed = true;
        }
        subs.clear();
        for (PendingPublish p : pending.values()) {
            p.future.completeExceptionally(new PublishException("WebSocket transport closed before the hub confirmed"));
        }
        pending.clear();
        ClientConnection c = current;
        if (c != null) {
            try {
                c.closeBlocking();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected = false;
        welcome.completeExceptionally(new CourierException("closed"));
        timer.shutdownNow();
        completer.shutdown();
    }

    /** One subscription; kept across reconnects. */
    private final class ClientSubscription implements TransportSubscription {
        final String id;
        final Address address;
        final String group;
        final int prefetch;
        final DeliveryCallback callback;
        volatile boolean closed;

        ClientSubscription(String id, Address address, String group, int prefetch, DeliveryCallback callback) {
            this.id = id;
            this.address = address;
            this.group = group;
            this.prefetch = prefetch;
            this.callback = callback;
        }

        ObjectNode subscribeData() {
            ObjectNode d = Frames.data();
            d.put("sub", id);
            d.put("address", address.toString());
            if (group != null) {
                d.put("group", group);
            }
            d.put("prefetch", prefetch);
            return d;
        }

        @Override
        public boolean isActive() {
            return !closed && connected && !WebSocketTransport.this.closed;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            subs.remove(id);
            ClientConnection c = current;
            if (connected && c != null) {
                ObjectNode d = Frames.data();
                d.put("sub", id);
                request(c, Frames.UNSUBSCRIBE, d);
            }
        }
    }

    /** Builds a client transport; {@link #build()} reports every problem at once. */
    public static final class Builder {
        private final URI uri;
        private String token;
        private SSLContext ssl;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration reconnectMin = Duration.ofMillis(100);
        private Duration reconnectMax = Duration.ofSeconds(5);
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        private int maxIncoming = DEFAULT_MAX_INCOMING_MESSAGE_BYTES;
        private Duration pingInterval = Duration.ofSeconds(30);
        private java.util.function.Consumer<? super org.java_websocket.client.WebSocketClient> customizer;
        private java.util.function.DoubleSupplier reconnectRandom;
        private java.util.function.LongConsumer reconnectScheduled;

        private Builder(URI uri) {
            this.uri = uri;
        }

        /**
         * The bearer token (overrides a {@code token} in the URI). Never logged.
         *
         * @param token the token, or null to use the URI's
         * @return this builder
         */
        public Builder token(String token) {
            this.token = token;
            return this;
        }

        /**
         * TLS context for {@code wss://} (default: the JVM's).
         *
         * @param context the client's TLS context
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.ssl = context;
            return this;
        }

        /**
         * How long start() waits for the hub (TCP, handshake, welcome).
         *
         * @param timeout positive (default 10 s)
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        /**
         * Reconnect backoff (default 100 ms to 5 s): the first delay, doubling up to {@code max}, each
         * lowered by a random part of up to half ({@link Backoff}); the count starts again only after a
         * connection stayed up for 30 s.
         *
         * @param min the first delay; positive
         * @param max the cap; at least {@code min}
         * @return this builder
         */
        public Builder reconnectDelay(Duration min, Duration max) {
            this.reconnectMin = min;
            this.reconnectMax = max;
            return this;
        }

        /** Tests: the random numbers in [0, 1) of the reconnect jitter ({@link Backoff.Builder#random}). */
        Builder reconnectRandom(java.util.function.DoubleSupplier random) {
            this.reconnectRandom = random;
            return this;
        }

        /** Tests: told each reconnect delay (ms) the client chose, before it waits. */
        Builder onReconnectScheduled(java.util.function.LongConsumer observer) {
            this.reconnectScheduled = observer;
            return this;
        }

        /**
         * Publishes waiting for a confirm at most; past it publish fails at once.
         *
         * @param publishes positive (default {@value WebSocketTransport#DEFAULT_MAX_IN_FLIGHT})
         * @return this builder
         */
        public Builder maxInFlight(int publishes) {
            this.maxInFlight = publishes;
            return this;
        }

        /**
         * Largest message accepted from the hub.
         *
         * @param bytes the largest message, in bytes, at least 1024 (default 16 MiB)
         * @return this builder
         */
        public Builder maxIncomingMessageBytes(int bytes) {
            this.maxIncoming = bytes;
            return this;
        }

        /**
         * Ping interval; the connection is considered lost when pongs stop.
         *
         * @param interval positive
         * @return this builder
         */
        public Builder pingInterval(Duration interval) {
            this.pingInterval = interval;
            return this;
        }

        /**
         * A hook on the Java-WebSocket client (issue 15), called for every connection — Courier makes a new
         * client for each (re)connect — after Courier's settings and before it connects: extra HTTP headers
         * for a proxy or gateway ({@code addHeader}), a socket factory or proxy, DNS resolution. Courier's
         * {@code Authorization} header, TCP no-delay and lost-connection timeout are set before the hook, so
         * it may change them (at its own risk). An exception fails {@code start()}; on a later reconnect it is
         * logged (ERROR) and the connection goes ahead without the hook's changes.
         *
         * @param customizer called with each client before it connects
         * @return this builder
         */
        public Builder clientCustomizer(java.util.function.Consumer<? super org.java_websocket.client.WebSocketClient> customizer) {
            this.customizer = customizer;
            return this;
        }

        /**
         * Checks every setting and builds an unstarted transport.
         *
         * @return the transport; the bus starts it
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public WebSocketTransport build() {
            List<String> problems = new ArrayList<>();
            String scheme = uri == null ? null : uri.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("ws") || scheme.equalsIgnoreCase("wss"))) {
                problems.add("uri must be ws://host:port/ or wss://host:port/, was " + (uri == null ? null : redact(uri)));
            } else if (uri.getHost() == null) {
                problems.add("uri has no host: " + redact(uri));
            }
            for (Duration d : new Duration[] {connectTimeout, reconnectMin, reconnectMax, pingInterval}) {
                if (d == null || d.isNegative() || d.isZero()) {
                    problems.add("timeouts and delays must be positive, got " + d);
                }
            }
            if (reconnectMin != null && reconnectMax != null && reconnectMax.compareTo(reconnectMin) < 0) {
                problems.add("reconnectDelay max must be at least min, was " + reconnectMin + " / " + reconnectMax);
            }
            if (maxInFlight < 1 || maxIncoming < 1024) {
                problems.add("maxInFlight must be positive and maxIncomingMessageBytes at least 1024");
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            String t = token != null ? token : Frames.queryParameter(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery(), "token");
            URI clean = URI.create(uri.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + uri.getRawAuthority()
                    + (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()));
            return new WebSocketTransport(this, clean, t);
        }

        private static String redact(URI u) {
            return u.getRawQuery() == null ? u.toString() : u.toString().replace(u.getRawQuery(), "…");
        }
    }
}
