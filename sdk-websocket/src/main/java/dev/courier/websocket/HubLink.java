package dev.courier.websocket;

import dev.courier.websocket.protocol.Frames;
import com.fasterxml.jackson.databind.JsonNode;
import dev.courier.ConfigurationException;
import dev.courier.CourierException;
import dev.courier.spi.Backoff;
import dev.courier.spi.support.Reconnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The connection to the hub, kept up by a {@link Reconnector}: how to open one (each hub of the
 * address list in order: TCP, TLS, the WebSocket handshake with the bearer token, the hub's welcome),
 * how to prepare a new one (subscribe again, send again what was not confirmed) and what to do when
 * one drops. Frames from the hub are routed from here to the publisher, the control requests and the
 * subscriptions. A refused handshake (401, 403, 400) is a {@link ConfigurationException}: start-up
 * stops retrying. Thread-safe.
 */
final class HubLink implements Reconnector.Link<ClientConnection> {
    private static final Logger log = LoggerFactory.getLogger(HubLink.class);
    private static final Pattern STATUS = Pattern.compile("status code received: (\\d{3})");

    private final WebSocketTransport transport;
    private final WebSocketConfig config;
    private final Reconnector<ClientConnection> reconnector;
    /** The connection frames are sent on: set when a connection is being prepared, cleared when it drops. */
    private volatile ClientConnection live;
    private volatile HubWelcome hub = HubWelcome.DEFAULTS;
    /** While start() runs: when its start timeout ends (System.nanoTime), bounding each connect; else 0. */
    private volatile long startDeadline;
    private volatile boolean started;

    HubLink(WebSocketTransport transport, WebSocketConfig config, Backoff backoff, ScheduledExecutorService scheduler) {
        this.transport = transport;
        this.config = config;
        this.reconnector = new Reconnector<>(config.describe(), this, backoff, scheduler);
    }

    /** Connects, retrying until {@code startTimeout}; see {@link Reconnector#start}. */
    void start(Duration startTimeout) {
        startDeadline = System.nanoTime() + startTimeout.toNanos();
        try {
            reconnector.start(startTimeout);
            started = true;
        } finally {
            startDeadline = 0;
        }
    }

    /** @return the connection to send on, or null while down */
    ClientConnection live() {
        return live;
    }

    /** @return the connection, waiting for one up to {@code deadlineNanos}; null when there is none by then */
    ClientConnection await(long deadlineNanos) {
        ClientConnection c = live;
        return c != null ? c : reconnector.await(deadlineNanos);
    }

    /** @return what the hub said in its last welcome */
    HubWelcome hub() {
        return hub;
    }

    boolean isConnected() {
        return reconnector.isConnected() && live != null;
    }

    @Override
    public ClientConnection open() throws Exception {
        Exception last = null;
        for (URI uri : config.hubs()) {
            try {
                return openOne(uri);
            } catch (ConfigurationException e) {
                throw e;
            } catch (Exception e) {
                last = e;
                log.debug("connecting to hub {} failed: {}", uri, e.getMessage());
            }
        }
        throw last;
    }

    private ClientConnection openOne(URI uri) throws Exception {
        long timeout = config.connectTimeout().toMillis();
        long deadline = startDeadline;
        if (deadline != 0) {
            // the start timeout bounds the attempt, but an attempt too short to succeed would only hide the real failure
            timeout = Math.min(timeout, Math.max(250, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        Map<String, String> headers = new HashMap<>();
        if (config.token() != null) {
            headers.put("Authorization", "Bearer " + config.token());
        }
        headers.put(Frames.FEATURES_HEADER, Frames.FEATURE_BATCH); // the welcome says whether the hub speaks it
        ClientConnection c = new ClientConnection(this, uri, headers, config.maxIncomingMessageBytes(), (int) timeout);
        c.setTcpNoDelay(true);
        c.setConnectionLostTimeout((int) Math.max(1, config.pingInterval().toSeconds()));
        if (config.sslContext() != null && uri.getScheme().equalsIgnoreCase("wss")) {
            c.setSocketFactory(config.sslContext().getSocketFactory());
        }
        customize(c);
        c.connect();
        try {
            hub = HubWelcome.of(c.welcome.get(timeout, TimeUnit.MILLISECONDS));
            return c;
        } catch (TimeoutException e) {
            c.abandon();
            throw new CourierException("no welcome from " + uri + " within " + Duration.ofMillis(timeout), e);
        } catch (ExecutionException e) {
            c.abandon();
            throw e.getCause() instanceof Exception x ? x : e;
        } catch (InterruptedException e) {
            c.abandon();
            throw e;
        }
    }

    private void customize(ClientConnection c) {
        if (config.clientCustomizer() == null) {
            return;
        }
        try {
            config.clientCustomizer().accept(c);
        } catch (RuntimeException e) {
            if (!started) {
                throw new ConfigurationException("the WebSocket client customizer failed: " + e); // start() fails
            }
            log.error("the client customizer failed on a reconnect to {} ({}); connecting without it",
                    config.describe(), e.toString());
        }
    }

    @Override
    public void up(ClientConnection c, boolean first) {
        if (!c.isOpen()) {
            throw new CourierException("the connection to " + c.getURI() + " closed before it was ready"); // retried
        }
        live = c;
        if (!first) {
            log.info("reconnected to hub {}", c.getURI());
            transport.subscriptions().resubscribe(c);
        }
        transport.publisher().resume(c);
    }

    @Override
    public boolean isOpen(ClientConnection c) {
        return c.isOpen();
    }

    @Override
    public void close(ClientConnection c) {
        c.closeWithin(2_000);
    }

    /** Closes the connection and stops reconnecting. */
    void close() {
        reconnector.close();
        live = null;
    }

    /** @return the CloudEvents source of this client's control frames */
    String source() {
        return transport.source();
    }

    // ---- from the connection --------------------------------------------------------------------

    void onFrame(ClientConnection c, String text) {
        Frames.Frame f;
        try {
            f = Frames.parse(text);
        } catch (Frames.MalformedFrame e) {
            log.warn("hub {} sent an unreadable frame: {}", c.getURI(), e.getMessage());
            return;
        }
        if (!f.isControl()) {
            transport.subscriptions().onMessage(c, f);
            return;
        }
        String seq = f.attr(Frames.SEQ);
        switch (f.type()) {
            case Frames.WELCOME -> {
                boolean batch = false;
                for (JsonNode n : f.control().path("features")) {
                    batch |= Frames.FEATURE_BATCH.equals(n.asText());
                }
                c.batch(batch);
                c.welcome.complete(f.control());
            }
            case Frames.CONFIRM -> {
                JsonNode seqs = seq == null ? f.control().get("seqs") : null;
                if (seqs != null && seqs.isArray()) {
                    for (JsonNode s : seqs) { // feature batch: each named publish confirmed, no other
                        String one = s.asText();
                        if (one.startsWith("p")) {
                            transport.publisher().onConfirm(one);
                        } else {
                            transport.requests().onAnswer(one, Frames.data().put("seq", one), null, null);
                        }
                    }
                } else if (seq != null && seq.startsWith("p")) {
                    transport.publisher().onConfirm(seq);
                } else {
                    transport.requests().onAnswer(seq, f.control(), null, null);
                }
            }
            case Frames.ERROR -> {
                String code = Frames.text(f.control(), "code");
                String message = Frames.text(f.control(), "message");
                if (seq == null) {
                    log.warn("hub {} reports {}: {}", c.getURI(), code, message);
                } else if (seq.startsWith("p")) {
                    transport.publisher().onError(seq, code, message);
                } else {
                    transport.requests().onAnswer(seq, null, code, message);
                }
            }
            default -> log.debug("ignoring control frame {} from hub", f.type());
        }
    }

    void onClosed(ClientConnection c, int code, String reason) {
        String why = refusal(code, reason, c.lastError());
        boolean refused = why.startsWith("hub answered the handshake with HTTP 4") && !why.contains("HTTP 429");
        c.welcome.completeExceptionally(refused ? new ConfigurationException(why + " (" + c.getURI() + ")")
                : new CourierException(why + " (" + c.getURI() + ")"));
        transport.requests().failFor(c, why);
        if (live == c) {
            live = null;
            transport.publisher().lost();
        }
        reconnector.lost(c, new CourierException(why));
    }

    /** The close in words; a refused handshake named by its HTTP status. */
    static String refusal(int code, String reason, String lastError) {
        String text = (reason == null ? "" : reason) + " " + (lastError == null ? "" : lastError);
        Matcher m = STATUS.matcher(text);
        if (m.find()) {
            String status = m.group(1);
            String meaning = switch (status) {
                case "401" -> "authentication refused (check the token)";
                case "403" -> "forbidden (origin not allowed)";
                case "429" -> "too many connections for this principal";
                case "503" -> "hub at its connection limit";
                case "400" -> "bad handshake (subprotocol cloudevents.json required)";
                default -> "refused";
            };
            return "hub answered the handshake with HTTP " + status + ": " + meaning;
        }
        return "connection to hub closed (" + code + (reason == null || reason.isEmpty() ? "" : ": " + reason) + ")"
                + (lastError != null ? " — " + lastError : "");
    }
}
